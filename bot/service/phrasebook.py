"""What the app itself says to customers, in each language it serves."""

from __future__ import annotations

from bot.service.vocabulary import Phrase

# tests/unit/test_phrasebook.py checks that every locale has every phrase.
_TEXTS: dict[str, dict[Phrase, str]] = {
    "en": {
        Phrase.BTN_HELPFUL: "This helped",
        Phrase.BTN_NOT_HELPFUL: "Not helpful",
        Phrase.BTN_HUMAN: "Talk to a person",
        Phrase.AGENT_JOINED: "{agent} from our team has joined and will answer you here.",
        Phrase.HANDED_BACK: "Our team has handed you back to the assistant. Ask me anything else!",
        Phrase.SUGGEST: "I found a few articles that might help. Which one fits your question?",
        Phrase.NONE: "Sorry, I couldn't find an answer to that. Would you like to talk to a person?",
        Phrase.OTHER_LANGUAGE: "This article is not available in English yet, so here it is in {language}:",
        Phrase.HANDOVER: "I've asked a person from our team to join; they will answer you here shortly.",
        Phrase.RELAYED: "Thanks, I've passed your message on to our team.",
        Phrase.OFFER: "It sounds like this isn't going well. Would you like to talk to a person?",
        Phrase.HELPFUL: "Glad that helped!",
        Phrase.NOT_HELPFUL: "Sorry that didn't help. Could you tell me more, in other words?",
        Phrase.NOTHING_TO_RATE: "There is no answer to rate yet: ask me a question first.",
        Phrase.THANKS: "You're welcome! Anything else I can help you with?",
        Phrase.GREETING: "Hi! What can I help you with?",
        Phrase.CSAT_QUESTION: "Did we solve your problem?",
        Phrase.BTN_SATISFIED: "Yes, solved",
        Phrase.BTN_UNSATISFIED: "No",
        Phrase.CSAT_THANKS: "Thank you for telling us!",
        Phrase.EDITED: "(edited)",
        Phrase.DELETED: "This message was deleted.",
    },
    "it": {
        Phrase.BTN_HELPFUL: "Mi è stato utile",
        Phrase.BTN_NOT_HELPFUL: "Non utile",
        Phrase.BTN_HUMAN: "Parla con una persona",
        Phrase.AGENT_JOINED: "{agent} del nostro team si è unito e ti risponderà qui.",
        Phrase.HANDED_BACK: "Il nostro team ti ha riaffidato all'assistente. Chiedimi pure altro!",
        Phrase.SUGGEST: "Ho trovato alcuni articoli che potrebbero aiutarti. Quale risponde alla tua domanda?",
        Phrase.NONE: "Mi dispiace, non ho trovato una risposta. Vuoi parlare con una persona?",
        Phrase.OTHER_LANGUAGE: "Questo articolo non è ancora disponibile in italiano, eccolo in {language}:",
        Phrase.HANDOVER: "Ho chiesto a una persona del nostro team di unirsi: ti risponderà qui a breve.",
        Phrase.RELAYED: "Grazie, ho inoltrato il tuo messaggio al nostro team.",
        Phrase.OFFER: "Sembra che le cose non stiano andando bene. Vuoi parlare con una persona?",
        Phrase.HELPFUL: "Felice di esserti stato utile!",
        Phrase.NOT_HELPFUL: "Mi dispiace che non sia stato utile. Puoi spiegarmi meglio, con altre parole?",
        Phrase.NOTHING_TO_RATE: "Non c'è ancora una risposta da valutare: fammi prima una domanda.",
        Phrase.THANKS: "Prego! Posso aiutarti con qualcos'altro?",
        Phrase.GREETING: "Ciao! Come posso aiutarti?",
        Phrase.CSAT_QUESTION: "Abbiamo risolto il tuo problema?",
        Phrase.BTN_SATISFIED: "Sì, risolto",
        Phrase.BTN_UNSATISFIED: "No",
        Phrase.CSAT_THANKS: "Grazie per averci risposto!",
        Phrase.EDITED: "(modificato)",
        Phrase.DELETED: "Questo messaggio è stato eliminato.",
    },
    "de": {
        Phrase.BTN_HELPFUL: "Hat geholfen",
        Phrase.BTN_NOT_HELPFUL: "Nicht hilfreich",
        Phrase.BTN_HUMAN: "Mit einer Person sprechen",
        Phrase.AGENT_JOINED: "{agent} aus unserem Team ist dabei und antwortet Ihnen hier.",
        Phrase.HANDED_BACK: "Unser Team hat Sie an den Assistenten zurückgegeben. Fragen Sie gern weiter!",
        Phrase.SUGGEST: "Ich habe einige Artikel gefunden, die helfen könnten. Welcher passt zu Ihrer Frage?",
        Phrase.NONE: "Leider habe ich dazu keine Antwort gefunden. Möchten Sie mit einer Person sprechen?",
        Phrase.OTHER_LANGUAGE: "Diesen Artikel gibt es noch nicht auf Deutsch, hier ist er auf {language}:",
        Phrase.HANDOVER: "Ich habe eine Person aus unserem Team dazugeholt; sie antwortet Ihnen hier in Kürze.",
        Phrase.RELAYED: "Danke, ich habe Ihre Nachricht an unser Team weitergegeben.",
        Phrase.OFFER: "Das läuft offenbar nicht gut. Möchten Sie mit einer Person sprechen?",
        Phrase.HELPFUL: "Schön, dass das geholfen hat!",
        Phrase.NOT_HELPFUL: "Schade, dass das nicht geholfen hat. Können Sie es mit anderen Worten beschreiben?",
        Phrase.NOTHING_TO_RATE: "Es gibt noch keine Antwort zu bewerten: Stellen Sie mir zuerst eine Frage.",
        Phrase.THANKS: "Gern geschehen! Kann ich sonst noch helfen?",
        Phrase.GREETING: "Hallo! Wobei kann ich helfen?",
        Phrase.CSAT_QUESTION: "Konnten wir Ihr Problem lösen?",
        Phrase.BTN_SATISFIED: "Ja, gelöst",
        Phrase.BTN_UNSATISFIED: "Nein",
        Phrase.CSAT_THANKS: "Danke für Ihre Rückmeldung!",
        Phrase.EDITED: "(bearbeitet)",
        Phrase.DELETED: "Diese Nachricht wurde gelöscht.",
    },
    "pl": {
        Phrase.BTN_HELPFUL: "To pomogło",
        Phrase.BTN_NOT_HELPFUL: "Nie pomogło",
        Phrase.BTN_HUMAN: "Porozmawiaj z konsultantem",
        Phrase.AGENT_JOINED: "{agent} z naszego zespołu dołączył(a) i odpowie Ci tutaj.",
        Phrase.HANDED_BACK: "Nasz zespół przekazał Cię z powrotem asystentowi. Pytaj śmiało dalej!",
        Phrase.SUGGEST: "Znalazłem kilka artykułów, które mogą pomóc. Który odpowiada na Twoje pytanie?",
        Phrase.NONE: "Niestety nie znalazłem odpowiedzi. Czy chcesz porozmawiać z konsultantem?",
        Phrase.OTHER_LANGUAGE: "Ten artykuł nie jest jeszcze dostępny po polsku, oto on w języku: {language}.",
        Phrase.HANDOVER: "Poprosiłem osobę z naszego zespołu o dołączenie; wkrótce odpowie Ci tutaj.",
        Phrase.RELAYED: "Dziękuję, przekazałem Twoją wiadomość naszemu zespołowi.",
        Phrase.OFFER: "Wygląda na to, że coś nie działa. Czy chcesz porozmawiać z konsultantem?",
        Phrase.HELPFUL: "Cieszę się, że to pomogło!",
        Phrase.NOT_HELPFUL: "Przykro mi, że to nie pomogło. Czy możesz opisać to innymi słowami?",
        Phrase.NOTHING_TO_RATE: "Nie ma jeszcze odpowiedzi do oceny: najpierw zadaj mi pytanie.",
        Phrase.THANKS: "Nie ma za co! Czy mogę pomóc w czymś jeszcze?",
        Phrase.GREETING: "Cześć! W czym mogę pomóc?",
        Phrase.CSAT_QUESTION: "Czy udało nam się rozwiązać Twój problem?",
        Phrase.BTN_SATISFIED: "Tak, rozwiązany",
        Phrase.BTN_UNSATISFIED: "Nie",
        Phrase.CSAT_THANKS: "Dziękujemy za opinię!",
        Phrase.EDITED: "(edytowano)",
        Phrase.DELETED: "Ta wiadomość została usunięta.",
    },
}


LOCALES = tuple(_TEXTS)


# The name of each language in each language, for OTHER_LANGUAGE.
LANGUAGE_NAMES: dict[str, dict[str, str]] = {
    "en": {"en": "English", "it": "Italian", "de": "German", "pl": "Polish"},
    "it": {"en": "inglese", "it": "italiano", "de": "tedesco", "pl": "polacco"},
    "de": {"en": "Englisch", "it": "Italienisch", "de": "Deutsch", "pl": "Polnisch"},
    "pl": {"en": "angielski", "it": "włoski", "de": "niemiecki", "pl": "polski"},
}


def say(key: Phrase, locale: str | None) -> str:
    """The app's text `key` in `locale`, or in English when that locale has none."""
    return _TEXTS.get(locale or "en", _TEXTS["en"]).get(key) or _TEXTS["en"][key]


def answer_text(answer: str, article_locale: str, language: str) -> str:
    """An article's answer for a customer writing in `language`: with a one-line note first
    when the knowledge base has it only in another language."""
    if article_locale == language:
        return answer
    name = LANGUAGE_NAMES.get(language, LANGUAGE_NAMES["en"]).get(article_locale, article_locale)
    return f"{say(Phrase.OTHER_LANGUAGE, language).format(language=name)}\n\n{answer}"


def phrases(locale: str) -> frozenset[str]:
    """The keys `locale` has a text for."""
    return frozenset(_TEXTS.get(locale, {}))
