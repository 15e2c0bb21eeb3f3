"""Tips from the public: the form, the e-mail inbox and the Telegram bot, the editors' queue and the
answers they choose to send (see :mod:`kiemchung.tips.service` and docs/tips.md)."""

from kiemchung.tips.service import (
    CHANNELS,
    ReplyError,
    Tip,
    TipGroup,
    TipImage,
    TipRateLimited,
    TipRefused,
    counts,
    get_tip,
    grouped_tips,
    list_tips,
    match_tips,
    reply_tip,
    set_status,
    submit_tip,
    tip_by_secret,
)

__all__ = [
    "CHANNELS", "ReplyError", "Tip", "TipGroup", "TipImage", "TipRateLimited", "TipRefused", "counts", "get_tip",
    "grouped_tips", "list_tips", "match_tips", "reply_tip", "set_status", "submit_tip", "tip_by_secret",
]
