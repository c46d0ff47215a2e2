"""Read the account back and compare it with what a push sent."""

from __future__ import annotations

from typing import Any

import pandas as pd

from .client import Client
from .options import SendOptions
from .plan import plan
from .read import _columns, contacts_of
from .result import DELIVERED

__all__ = ["verify_push"]


def _account_contacts(client: Client) -> pd.DataFrame:
    """Every contact of the account, raw text values, personal fields as ``field<N>``."""
    parts, first = [], True
    while True:
        page = contacts_of(client.recently_updated(limit=1000, reset=first, search_by_updated_or_added_date=True))
        first = False
        if page:
            parts.append(pd.DataFrame(_columns(page, {})))
        if len(page) < 1000:
            break
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["id", "email", "mobile_number"])


def verify_push(result, client: Client | None = None, **options: Any) -> pd.DataFrame:
    """Rows whose email, mobile or personal fields differ in the account from what was sent.

    Reads the whole account with ``recently_updated`` (``reset=true``, updated contacts included),
    which restarts the account's read cursor. Duplicates merged by the push are compared once, on
    the row they were merged into. Returns one row per difference: the input row's index label,
    ``column`` (email, mobile_number or field<N>), ``sent`` and ``in_account``; a row whose contact
    is not found at all has ``column == "contact"``. An empty frame means everything matched.
    """
    client = client if client is not None else Client()
    send_options = SendOptions.from_kwargs(**{**getattr(result, "options", {}), **options})
    the_plan = plan(result.frame, result.mapping, send_options)
    sent = the_plan.send_rows.copy()
    sent["mobile"] = the_plan.prepared["mobile_final"].iloc[sent.index].to_numpy()
    delivered = result.rows["status"].isin(DELIVERED).to_numpy()[sent.index.to_numpy()]
    sent = sent[delivered]
    account = _account_contacts(client)
    by_email = account.dropna(subset=["email"]).assign(key=lambda f: f["email"].str.lower()) \
        .drop_duplicates("key").set_index("key")
    by_mobile = account.dropna(subset=["mobile_number"]).drop_duplicates("mobile_number").set_index("mobile_number")
    found = pd.DataFrame(index=sent.index, columns=account.columns, dtype=object)
    if "email" in sent:
        hit = sent["email"].isin(by_email.index).to_numpy()
        found.loc[hit] = by_email.loc[sent["email"][hit]].to_numpy()
    if "mobile" in sent:
        todo = found["id"].isna().to_numpy() & sent["mobile"].isin(by_mobile.index).to_numpy()
        found.loc[todo, list(by_mobile.reset_index().columns)] = \
            by_mobile.reset_index().set_index("mobile_number", drop=False).loc[sent["mobile"][todo]].to_numpy()
    labels = result.frame.index
    missing = found["id"].isna().to_numpy()
    differences = [pd.DataFrame({"row": labels[sent.index[missing]], "column": "contact", "sent": "",
                                 "in_account": None})]
    compare = [("email", "email"), ("mobile", "mobile_number")] + [(c, c) for c in sent.columns if c.startswith("field")]
    for mine, theirs in compare:
        if mine not in sent:
            continue
        ours = sent[mine].astype(object)
        stored = found[theirs].astype(object) if theirs in found else pd.Series(None, index=sent.index, dtype=object)
        stored = stored.where(stored.notna(), None).map(lambda v: v if v is None else str(v))
        if mine == "email":
            stored = stored.str.lower()
        differs = ours.notna().to_numpy() & ~missing & (ours.to_numpy() != stored.to_numpy())
        differences.append(pd.DataFrame({"row": labels[sent.index[differs]], "column": theirs,
                                         "sent": ours[differs].to_numpy(), "in_account": stored[differs].to_numpy()}))
    return pd.concat(differences, ignore_index=True)
