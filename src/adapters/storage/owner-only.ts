/**
 * Recordings and the database hold call audio, transcripts and phone numbers: whatever
 * callscribe creates on disk is readable and writable by the service user only, whatever the
 * process umask.
 */
export const OWNER_ONLY_DIR_MODE = 0o700;
export const OWNER_ONLY_FILE_MODE = 0o600;
