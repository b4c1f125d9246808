/* cmdb-text-private.h: text that cannot disguise itself (not installed).
 *
 * A file name, a page id or a value can hold characters that change how
 * the text around them looks: terminal escapes (ESC), carriage returns,
 * other control characters, and the Unicode bidirectional controls that
 * reorder what follows (U+202E shows "exe.txt" for "txt.exe"). Free-text
 * values refuse them; names that come from disk are shown with them
 * escaped, so what is shown is what is there. */
#pragma once

#include "base/cmdb-private-export.h"

#include <glib.h>

G_BEGIN_DECLS

/* TRUE for C0 controls (newline and tab too), DEL, C1 controls, the
 * bidirectional marks, embeddings, overrides and isolates, and the line and
 * paragraph separators. */
gboolean cmdb_text_char_is_unsafe (gunichar c);

/* (nullable) (transfer none): the first unsafe character of @text (or its
 * first byte that is not UTF-8), NULL when there is none. */
#define cmdb_text_find_unsafe _cmdb_text_find_unsafe
CMDB_PRIVATE_EXPORT
const char *cmdb_text_find_unsafe (const char *text);

/* (transfer full): @text with each unsafe character written visibly: a
 * control as \xNN (\n, \r, \t, \e for the common ones), any other as
 * \u{NNNN}, a byte that is not UTF-8 as \xNN. @keep (nullable) lists ASCII
 * controls to leave as they are (e.g. "\n\t" for multi-line text). */
#define cmdb_text_escape _cmdb_text_escape
CMDB_PRIVATE_EXPORT
char *cmdb_text_escape (const char *text, const char *keep);

/* (transfer full): a short name of the unsafe character at @position (from
 * cmdb_text_find_unsafe()), for messages: "U+001B (a control character)",
 * "U+202E (a bidirectional control)". */
char *cmdb_text_describe_unsafe (const char *position);

G_END_DECLS
