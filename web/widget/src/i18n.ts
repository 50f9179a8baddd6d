/** Every string the widget shows, in English and French. */
const strings = {
  en: {
    open: 'Chat with us',
    close: 'Close the chat',
    title: 'Chat',
    log: 'Conversation',
    placeholder: 'Write a message…',
    send: 'Send',
    attach: 'Attach a file',
    agentTyping: 'An agent is typing…',
    offline: 'No agent is available right now. Leave a message and we will answer as soon as we can.',
    sending: 'Sending…',
    failed: 'Not sent yet: it will be sent again in a moment.',
    refused: 'This message could not be sent.',
    reconnecting: 'Connection lost, reconnecting…',
    quickReplies: 'Suggested answers',
    you: 'You',
    agent: 'Agent',
    uploadFailed: 'The file could not be sent',
    attachment: 'Attachment',
    location: 'Location',
    unread: 'new messages',
    formSubmit: 'Send',
    formSent: 'Sent',
  },
  fr: {
    open: 'Discuter avec nous',
    close: 'Fermer la discussion',
    title: 'Discussion',
    log: 'Conversation',
    placeholder: 'Écrivez un message…',
    send: 'Envoyer',
    attach: 'Joindre un fichier',
    agentTyping: 'Un conseiller écrit…',
    offline: 'Aucun conseiller n’est disponible pour le moment. Laissez un message, nous vous répondrons dès que possible.',
    sending: 'Envoi…',
    failed: 'Pas encore envoyé : il le sera dans un instant.',
    refused: 'Ce message n’a pas pu être envoyé.',
    reconnecting: 'Connexion perdue, reconnexion…',
    quickReplies: 'Réponses suggérées',
    you: 'Vous',
    agent: 'Conseiller',
    uploadFailed: 'Le fichier n’a pas pu être envoyé',
    attachment: 'Pièce jointe',
    location: 'Position',
    unread: 'nouveaux messages',
    formSubmit: 'Envoyer',
    formSent: 'Envoyé',
  },
} as const;

export type Locale = keyof typeof strings;
export type Strings = { readonly [K in keyof (typeof strings)['en']]: string };

/** The page's language if the widget speaks it, else English. */
export function localeOf(requested: string | undefined): Locale {
  const primary = (requested ?? '').toLowerCase().split('-')[0];
  return primary === 'fr' ? 'fr' : 'en';
}

export function stringsFor(locale: Locale): Strings {
  return strings[locale];
}
