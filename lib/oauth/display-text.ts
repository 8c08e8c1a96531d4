/**
 * Text a client chooses and the consent page shows (its name): control and
 * bidirectional-override characters would let a name disguise itself there,
 * e.g. render "Contoso" while reading otherwise, so both ways a client can
 * name itself (dynamic registration, a metadata document) refuse them.
 */
export const DISGUISING_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
