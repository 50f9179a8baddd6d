/** The longest transfer note (`conversation.transfer`'s `note`), in characters. No imports: the web app reads it too. */
export const TRANSFER_NOTE_MAX = 500;
