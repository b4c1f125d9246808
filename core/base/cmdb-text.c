#define G_LOG_DOMAIN "cmdb-base"

/* Unsafe characters and their visible escapes: see cmdb-text-private.h. */

#include "base/cmdb-text-private.h"

#include <string.h>

static gboolean
is_bidi_control (gunichar c)
{
  return c == 0x061C || c == 0x200E || c == 0x200F || (c >= 0x202A && c <= 0x202E)
         || (c >= 0x2066 && c <= 0x2069);
}

gboolean
cmdb_text_char_is_unsafe (gunichar c)
{
  return c < 0x20 || c == 0x7F || (c >= 0x80 && c <= 0x9F) || is_bidi_control (c) || c == 0x2028
         || c == 0x2029;
}

const char *
cmdb_text_find_unsafe (const char *text)
{
  const char *p = text;

  if (text == NULL)
    return NULL;
  while (*p != '\0')
    {
      gunichar c = g_utf8_get_char_validated (p, -1);

      if (c == (gunichar) -1 || c == (gunichar) -2 || cmdb_text_char_is_unsafe (c))
        return p;
      p = g_utf8_next_char (p);
    }
  return NULL;
}

static void
append_escape (GString *out, gunichar c)
{
  switch (c)
    {
      case '\n':
        g_string_append (out, "\\n");
        break;
      case '\r':
        g_string_append (out, "\\r");
        break;
      case '\t':
        g_string_append (out, "\\t");
        break;
      case 0x1B:
        g_string_append (out, "\\e");
        break;
      default:
        if (c < 0x80)
          g_string_append_printf (out, "\\x%02X", c);
        else
          g_string_append_printf (out, "\\u{%04X}", c);
        break;
    }
}

char *
cmdb_text_escape (const char *text, const char *keep)
{
  GString *out;
  const char *p = text;

  if (text == NULL)
    return NULL;
  if (cmdb_text_find_unsafe (text) == NULL)
    return g_strdup (text);
  out = g_string_sized_new (strlen (text) + 16);
  while (*p != '\0')
    {
      gunichar c = g_utf8_get_char_validated (p, -1);

      if (c == (gunichar) -1 || c == (gunichar) -2)
        {
          g_string_append_printf (out, "\\x%02X", (guint) (guchar) *p);
          p++;
          continue;
        }
      if (cmdb_text_char_is_unsafe (c) && !(c < 0x80 && keep != NULL && strchr (keep, (int) c)))
        append_escape (out, c);
      else
        g_string_append_len (out, p, g_utf8_next_char (p) - p);
      p = g_utf8_next_char (p);
    }
  return g_string_free (out, FALSE);
}

char *
cmdb_text_describe_unsafe (const char *position)
{
  gunichar c = g_utf8_get_char_validated (position, -1);

  if (c == (gunichar) -1 || c == (gunichar) -2)
    return g_strdup_printf ("the byte \\x%02X (not UTF-8)", (guint) (guchar) *position);
  return g_strdup_printf ("U+%04X (%s)", c,
                          is_bidi_control (c)          ? "a bidirectional control"
                          : c == 0x2028 || c == 0x2029 ? "a line separator"
                                                       : "a control character");
}
