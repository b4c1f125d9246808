#define G_LOG_DOMAIN "cmdb-base"

/* Bounded JSON reading: see cmdb-json-private.h. */

#include "base/cmdb-json-private.h"

#include <string.h>

gboolean
cmdb_json_check_depth (const char *text, gssize length, guint max_depth, GError **error)
{
  gsize size = length < 0 ? strlen (text) : (gsize) length;
  gboolean in_string = FALSE;
  gboolean escaped = FALSE;
  guint depth = 0;
  guint line = 1;
  gsize line_start = 0;

  for (gsize i = 0; i < size; i++)
    {
      char c = text[i];

      if (c == '\n')
        {
          line++;
          line_start = i + 1;
        }
      if (in_string)
        {
          if (escaped)
            escaped = FALSE;
          else if (c == '\\')
            escaped = TRUE;
          else if (c == '"')
            in_string = FALSE;
          continue;
        }
      switch (c)
        {
          case '"':
            in_string = TRUE;
            break;
          case '[':
          case '{':
            if (++depth > max_depth)
              {
                g_set_error (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_PARSE,
                             "line %u, column %zu: arrays and objects nest deeper than %u levels",
                             line, i - line_start + 1, max_depth);
                return FALSE;
              }
            break;
          case ']':
          case '}':
            if (depth > 0)
              depth--;
            break;
          default:
            break;
        }
    }
  return TRUE;
}

JsonNode *
cmdb_json_parse (const char *text, gssize length, GError **error)
{
  g_autoptr (JsonParser) parser = NULL;
  JsonNode *root;

  if (!cmdb_json_check_depth (text, length, CMDB_JSON_MAX_DEPTH, error))
    return NULL;
  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, text, length, error))
    return NULL;
  root = json_parser_steal_root (parser);
  /* json-glib takes blank text as a document without a root. */
  if (root == NULL)
    g_set_error (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_PARSE,
                 "no JSON value (the text is empty or blank)");
  return root;
}

void
cmdb_json_append_string (GString *out, const char *text)
{
  const char *run = text;
  const char *p;

  g_string_append_c (out, '"');
  /* Runs of characters that need no escape are copied at once. */
  for (p = text; *p != '\0'; p++)
    {
      guchar c = (guchar) *p;

      if (c >= 0x20 && c != '"' && c != '\\')
        continue;
      g_string_append_len (out, run, p - run);
      switch (c)
        {
          case '"':
            g_string_append (out, "\\\"");
            break;
          case '\\':
            g_string_append (out, "\\\\");
            break;
          case '\n':
            g_string_append (out, "\\n");
            break;
          case '\r':
            g_string_append (out, "\\r");
            break;
          case '\t':
            g_string_append (out, "\\t");
            break;
          case '\b':
            g_string_append (out, "\\b");
            break;
          case '\f':
            g_string_append (out, "\\f");
            break;
          default:
            g_string_append_printf (out, "\\u%04x", c);
            break;
        }
      run = p + 1;
    }
  g_string_append_len (out, run, p - run);
  g_string_append_c (out, '"');
}
