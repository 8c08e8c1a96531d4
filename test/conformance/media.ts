/**
 * Tiny binary payloads for the content scenarios (image, audio, binary
 * resource). They were generated for this project, so their bytes are known
 * to be valid files: the suite checks the MIME type and that `data` is
 * base64, and a client that decodes them should get a real file.
 */

/** A 1×1 PNG, one RGB pixel (#0078D4). */
export const PNG_1X1_BASE64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGNgqLgCAAHIAU3MyLxFAAAAAElFTkSuQmCC";

/** A WAV file: 8 kHz, mono, 16-bit PCM, four samples of silence. */
export const WAV_SILENCE_BASE64 = "UklGRiwAAABXQVZFZm10IBAAAAABAAEAQB8AAIA+AAACABAAZGF0YQgAAAAAAAAAAAAAAA==";
