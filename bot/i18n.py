"""The bot's own words in the asker's language: Arabic for a user who writes Arabic or whose
Telegram is set to Arabic, English otherwise. Quoted article sentences stay as written."""

from __future__ import annotations

import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from newsdesk import UNSURE, has_arabic

_COMMAND = re.compile(r"^/\w+(?:@\w+)?")
WORDS: dict[str, dict[str, str]] = {
    "ask_usage": {
        "en": "Send me a question about the news, e.g. <code>/ask Who was killed in Jassim?</code> "
        "(in a private chat, the question alone is enough).",
        "ar": "أرسل لي سؤالاً عن الأخبار، مثلاً <code>/ask من قُتل في جاسم؟</code> "
        "(في المحادثة الخاصة يكفي السؤال وحده).",
    },
    "nothing": {
        "en": "I found nothing in the archive about that.",
        "ar": "لم أجد في الأرشيف شيئاً عن ذلك.",
    },
    "closest": {"en": "Closest articles:", "ar": "أقرب المقالات:"},
    "unsure": {"en": UNSURE, "ar": "قد لا يجيب الأرشيف عن هذا؛ أقرب ما فيه:"},
    "sources": {"en": "Sources", "ar": "المصادر"},
    "budget": {
        "en": "You have asked {n} questions in the last minute; please wait {wait} seconds "
        "and ask again.",
        "ar": "طرحت {n} أسئلة في الدقيقة الأخيرة؛ انتظر {wait} ثانية من فضلك ثم اسأل مجدداً.",
    },
    "empty": {
        "en": "The archive is empty for now: an admin can add articles by sending me files.",
        "ar": "الأرشيف فارغ حالياً: يمكن للمشرف إضافة مقالات بإرسال ملفات إليّ.",
    },
    "wrong": {
        "en": "Sorry, something went wrong on my side. Please try again in a moment.",
        "ar": "عذراً، حدث خطأ من جهتي. حاول مجدداً بعد قليل من فضلك.",
    },
    "index": {
        "en": "Sorry, I can't search the archive right now: its index needs rebuilding. "
        "The bot's owner has been told; please try again later.",
        "ar": "عذراً، لا أستطيع البحث في الأرشيف الآن: فهرسه بحاجة إلى إعادة بناء. "
        "أُبلغ صاحب البوت؛ حاول لاحقاً من فضلك.",
    },
    "not_allowed": {
        "en": "Sorry, this bot only answers in the chats it was set up for. "
        "Please ask its owner if you would like to use it here.",
        "ar": "عذراً، لا يجيب هذا البوت إلا في المحادثات التي أُعدّ لها. "
        "اطلب من صاحبه إن أردت استخدامه هنا.",
    },
}


def language(update: Update) -> str:
    """ "ar" when the user writes Arabic or their Telegram is set to Arabic, else "en"."""
    message, user = update.effective_message, update.effective_user
    text = (message.text if message else None) or (
        update.inline_query.query if update.inline_query else ""
    )
    text = _COMMAND.sub("", text)  # "/start" says nothing of the user's language
    if has_arabic(text):
        return "ar"
    if text.strip() and any(ch.isalpha() for ch in text):
        return "en"  # what they wrote says it better than their app's setting
    return "ar" if user and (user.language_code or "").startswith("ar") else "en"


def say(key: str, lang: str, **values: object) -> str:
    """The bot's words for `key` in `lang` (English where there is no translation)."""
    words = WORDS[key]
    return words.get(lang, words["en"]).format(**values)


def answer_buttons(lang: str) -> InlineKeyboardMarkup:
    """Sources, 👍 and 👎 under an answer."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(say("sources", lang), callback_data="src"),
                InlineKeyboardButton("👍", callback_data="fb:1"),
                InlineKeyboardButton("👎", callback_data="fb:-1"),
            ]
        ]
    )
