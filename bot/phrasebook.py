"""What the app itself says to customers, in each language it serves."""

from __future__ import annotations

_TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "btn_helpful": "This helped",
        "btn_not_helpful": "Not helpful",
        "btn_human": "Talk to a person",
        "agent_joined": "{agent} from our team has joined and will answer you here.",
        "handed_back": "Our team has handed you back to the assistant. Ask me anything else!",
        "suggest": "I found a few articles that might help. Which one fits your question?",
        "none": "Sorry, I couldn't find an answer to that. Would you like to talk to a person?",
        "handover": "I've asked a person from our team to join; they will answer you here shortly.",
        "relayed": "Thanks, I've passed your message on to our team.",
        "offer": "It sounds like this isn't going well. Would you like to talk to a person?",
        "helpful": "Glad that helped!",
        "not_helpful": "Sorry that didn't help. Could you tell me more, in other words?",
        "nothing_to_rate": "There is no answer to rate yet: ask me a question first.",
        "thanks": "You're welcome! Anything else I can help you with?",
        "greeting": "Hi! What can I help you with?",
    },
    "it": {
        "btn_helpful": "Mi è stato utile",
        "btn_not_helpful": "Non utile",
        "btn_human": "Parla con una persona",
        "agent_joined": "{agent} del nostro team si è unito e ti risponderà qui.",
        "handed_back": "Il nostro team ti ha riaffidato all'assistente. Chiedimi pure altro!",
        "suggest": "Ho trovato alcuni articoli che potrebbero aiutarti. Quale risponde alla tua domanda?",
        "none": "Mi dispiace, non ho trovato una risposta. Vuoi parlare con una persona?",
        "handover": "Ho chiesto a una persona del nostro team di unirsi: ti risponderà qui a breve.",
        "relayed": "Grazie, ho inoltrato il tuo messaggio al nostro team.",
        "offer": "Sembra che le cose non stiano andando bene. Vuoi parlare con una persona?",
        "helpful": "Felice di esserti stato utile!",
        "not_helpful": "Mi dispiace che non sia stato utile. Puoi spiegarmi meglio, con altre parole?",
        "nothing_to_rate": "Non c'è ancora una risposta da valutare: fammi prima una domanda.",
        "thanks": "Prego! Posso aiutarti con qualcos'altro?",
        "greeting": "Ciao! Come posso aiutarti?",
    },
    "de": {
        "btn_helpful": "Hat geholfen",
        "btn_not_helpful": "Nicht hilfreich",
        "btn_human": "Mit einer Person sprechen",
        "agent_joined": "{agent} aus unserem Team ist dabei und antwortet Ihnen hier.",
        "handed_back": "Unser Team hat Sie an den Assistenten zurückgegeben. Fragen Sie gern weiter!",
        "suggest": "Ich habe einige Artikel gefunden, die helfen könnten. Welcher passt zu Ihrer Frage?",
        "none": "Leider habe ich dazu keine Antwort gefunden. Möchten Sie mit einer Person sprechen?",
        "handover": "Ich habe eine Person aus unserem Team dazugeholt; sie antwortet Ihnen hier in Kürze.",
        "relayed": "Danke, ich habe Ihre Nachricht an unser Team weitergegeben.",
        "offer": "Das läuft offenbar nicht gut. Möchten Sie mit einer Person sprechen?",
        "helpful": "Schön, dass das geholfen hat!",
        "not_helpful": "Schade, dass das nicht geholfen hat. Können Sie es mit anderen Worten beschreiben?",
        "nothing_to_rate": "Es gibt noch keine Antwort zu bewerten: Stellen Sie mir zuerst eine Frage.",
        "thanks": "Gern geschehen! Kann ich sonst noch helfen?",
        "greeting": "Hallo! Wobei kann ich helfen?",
    },
    "pl": {
        "btn_helpful": "To pomogło",
        "btn_not_helpful": "Nie pomogło",
        "btn_human": "Porozmawiaj z konsultantem",
        "agent_joined": "{agent} z naszego zespołu dołączył(a) i odpowie Ci tutaj.",
        "handed_back": "Nasz zespół przekazał Cię z powrotem asystentowi. Pytaj śmiało dalej!",
        "suggest": "Znalazłem kilka artykułów, które mogą pomóc. Który odpowiada na Twoje pytanie?",
        "none": "Niestety nie znalazłem odpowiedzi. Czy chcesz porozmawiać z konsultantem?",
        "handover": "Poprosiłem osobę z naszego zespołu o dołączenie; wkrótce odpowie Ci tutaj.",
        "relayed": "Dziękuję, przekazałem Twoją wiadomość naszemu zespołowi.",
        "offer": "Wygląda na to, że coś nie działa. Czy chcesz porozmawiać z konsultantem?",
        "helpful": "Cieszę się, że to pomogło!",
        "not_helpful": "Przykro mi, że to nie pomogło. Czy możesz opisać to innymi słowami?",
        "nothing_to_rate": "Nie ma jeszcze odpowiedzi do oceny: najpierw zadaj mi pytanie.",
        "thanks": "Nie ma za co! Czy mogę pomóc w czymś jeszcze?",
        "greeting": "Cześć! W czym mogę pomóc?",
    },
}


def say(key: str, locale: str | None) -> str:
    """The app's text `key` in `locale`, or in English when that locale has none."""
    return _TEXTS.get(locale or "en", _TEXTS["en"]).get(key) or _TEXTS["en"][key]
