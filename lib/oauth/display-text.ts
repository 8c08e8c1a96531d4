/**
 * Text a client chooses and the consent page shows (its name). Characters
 * that draw nothing, or that change how the text around them is drawn, would
 * let a name disguise itself there: `Micro\u200Bsoft` looks like Microsoft,
 * a right-to-left override renders "Contoso" while reading otherwise. Both
 * ways a client can name itself (dynamic registration, a metadata document)
 * refuse them, by Unicode property rather than by a list of known offenders,
 * so characters added to those categories later are refused too:
 *
 * - general categories Cc (controls), Cf (format: zero-width characters,
 *   joiners, the soft hyphen, the byte-order mark, U+061C and the other
 *   direction marks, tags), Cs (lone surrogates), Co (private use, which
 *   renders as whatever a font decides), Cn (unassigned), Zl and Zp (line and
 *   paragraph separators);
 * - Bidi_Control (every direction embedding, override, isolate and mark);
 * - Default_Ignorable_Code_Point (fillers such as U+3164 that fonts draw as
 *   nothing), except variation selectors, which only choose a glyph's
 *   presentation (the emoji form of ❤️).
 */
const FORMATTING = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Bidi_Control}]/u;
const IGNORABLE = /\p{Default_Ignorable_Code_Point}/u;
const VARIATION_SELECTOR = /\p{Variation_Selector}/u;

/**
 * The first character of `text` that could disguise it on the consent page,
 * as `U+XXXX`; `undefined` when there is none.
 *
 * @example
 * disguisingCharacterIn("Micro\u200Bsoft"); // "U+200B"
 * disguisingCharacterIn("Contoso Café ❤️");  // undefined
 */
export function disguisingCharacterIn(text: string): string | undefined {
  for (const character of text) {
    if (FORMATTING.test(character) || (IGNORABLE.test(character) && !VARIATION_SELECTOR.test(character))) {
      return `U+${character.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;
    }
  }
  return undefined;
}
