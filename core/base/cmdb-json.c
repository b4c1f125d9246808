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

/* The bytes a JSON string literal cannot hold as they are: the control
 * characters, the quote and the backslash. */
static const guint8 needs_escape[256] = {
  [0x00] = 1, [0x01] = 1, [0x02] = 1, [0x03] = 1, [0x04] = 1, [0x05] = 1, [0x06] = 1,
  [0x07] = 1, [0x08] = 1, [0x09] = 1, [0x0a] = 1, [0x0b] = 1, [0x0c] = 1, [0x0d] = 1,
  [0x0e] = 1, [0x0f] = 1, [0x10] = 1, [0x11] = 1, [0x12] = 1, [0x13] = 1, [0x14] = 1,
  [0x15] = 1, [0x16] = 1, [0x17] = 1, [0x18] = 1, [0x19] = 1, [0x1a] = 1, [0x1b] = 1,
  [0x1c] = 1, [0x1d] = 1, [0x1e] = 1, [0x1f] = 1, ['"'] = 1,  ['\\'] = 1,
};

void
cmdb_json_append_string (GString *out, const char *text)
{
  const guchar *run = (const guchar *) text;
  const guchar *p = run;

  g_string_append_c (out, '"');
  for (;;)
    {
      /* Runs of characters that need no escape are copied at once. */
      while (!needs_escape[*p])
        p++;
      g_string_append_len (out, (const char *) run, p - run);
      if (*p == '\0')
        break;
      switch (*p)
        {
          case '"':
            g_string_append_len (out, "\\\"", 2);
            break;
          case '\\':
            g_string_append_len (out, "\\\\", 2);
            break;
          case '\n':
            g_string_append_len (out, "\\n", 2);
            break;
          case '\r':
            g_string_append_len (out, "\\r", 2);
            break;
          case '\t':
            g_string_append_len (out, "\\t", 2);
            break;
          case '\b':
            g_string_append_len (out, "\\b", 2);
            break;
          case '\f':
            g_string_append_len (out, "\\f", 2);
            break;
          default:
            g_string_append_printf (out, "\\u%04x", *p);
            break;
        }
      run = ++p;
    }
  g_string_append_c (out, '"');
}

gboolean
cmdb_json_object_identical (JsonObject *a, JsonObject *b)
{
  JsonObjectIter iter;
  const char *name;
  JsonNode *member;

  if (a == b)
    return TRUE;
  if (a == NULL || b == NULL || json_object_get_size (a) != json_object_get_size (b))
    return FALSE;
  json_object_iter_init (&iter, a);
  while (json_object_iter_next (&iter, &name, &member))
    {
      JsonNode *other = json_object_get_member (b, name);

      if (other == NULL || !cmdb_json_node_identical (member, other))
        return FALSE;
    }
  return TRUE;
}

gboolean
cmdb_json_node_identical (JsonNode *a, JsonNode *b)
{
  if (a == b)
    return TRUE;
  if (a == NULL || b == NULL || json_node_get_node_type (a) != json_node_get_node_type (b))
    return FALSE;
  switch (json_node_get_node_type (a))
    {
      case JSON_NODE_NULL:
        return TRUE;
      case JSON_NODE_VALUE:
        /* Of one value type, json_node_equal() compares the values exactly. */
        return json_node_get_value_type (a) == json_node_get_value_type (b)
               && json_node_equal (a, b);
      case JSON_NODE_ARRAY:
        {
          JsonArray *left = json_node_get_array (a);
          JsonArray *right = json_node_get_array (b);
          guint length = json_array_get_length (left);

          if (json_array_get_length (right) != length)
            return FALSE;
          for (guint i = 0; i < length; i++)
            if (!cmdb_json_node_identical (json_array_get_element (left, i),
                                           json_array_get_element (right, i)))
              return FALSE;
          return TRUE;
        }
      case JSON_NODE_OBJECT:
        return cmdb_json_object_identical (json_node_get_object (a), json_node_get_object (b));
      default:
        return FALSE;
    }
}
