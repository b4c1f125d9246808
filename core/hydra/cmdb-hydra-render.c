#define G_LOG_DOMAIN "cmdb-hydra"

/* Rendering values as override text. docs/hydra-quoting.md explains the
 * rules and how they differ from the original builder. */

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cmdbuilder.h"
#include "cmdb-hydra-private.h"

char *
cmdb_hydra_format_float (double value)
{
  char buffer[G_ASCII_DTOSTR_BUF_SIZE];
  char format[16];
  GString *out;
  char digits[32];
  gsize n_digits = 0;
  const char *p;
  int exponent;

  if (isnan (value))
    return g_strdup ("nan");
  if (isinf (value))
    return g_strdup (value > 0 ? "inf" : "-inf");
  if (value == 0.0)
    return g_strdup (signbit (value) ? "-0.0" : "0.0");

  /* The shortest precision that reads back as the same double: what
   * Python's repr() picks (17 significant digits always do). */
  for (int precision = 1; precision <= 17; precision++)
    {
      g_snprintf (format, sizeof format, "%%.%de", precision - 1);
      g_ascii_formatd (buffer, sizeof buffer, format, value);
      if (g_ascii_strtod (buffer, NULL) == value)
        break;
    }

  /* buffer is [-]d[.ddd]e(+|-)xx */
  p = buffer;
  out = g_string_new (NULL);
  if (*p == '-')
    {
      g_string_append_c (out, '-');
      p++;
    }
  for (; *p != 'e' && *p != '\0'; p++)
    if (*p != '.' && n_digits < sizeof digits - 1)
      digits[n_digits++] = *p;
  while (n_digits > 1 && digits[n_digits - 1] == '0')
    n_digits--;
  digits[n_digits] = '\0';
  exponent = *p == 'e' ? atoi (p + 1) : 0;

  if (exponent >= -4 && exponent < 16)
    {
      int point = exponent + 1; /* digits before the decimal point */

      if (point <= 0)
        {
          g_string_append (out, "0.");
          for (int i = 0; i < -point; i++)
            g_string_append_c (out, '0');
          g_string_append (out, digits);
        }
      else if ((gsize) point >= n_digits)
        {
          g_string_append (out, digits);
          for (gsize i = n_digits; i < (gsize) point; i++)
            g_string_append_c (out, '0');
          g_string_append (out, ".0");
        }
      else
        {
          g_string_append_len (out, digits, point);
          g_string_append_c (out, '.');
          g_string_append (out, digits + point);
        }
    }
  else
    {
      g_string_append_c (out, digits[0]);
      if (n_digits > 1)
        {
          g_string_append_c (out, '.');
          g_string_append (out, digits + 1);
        }
      g_string_append_printf (out, "e%c%02d", exponent < 0 ? '-' : '+', ABS (exponent));
    }
  return g_string_free (out, FALSE);
}

static void
append_backslashes (GString *out, gsize count)
{
  for (gsize i = 0; i < count; i++)
    g_string_append_c (out, '\\');
}

char *
cmdb_hydra_quote_string (const char *value)
{
  GString *out;
  gsize run = 0;

  g_return_val_if_fail (value != NULL, NULL);

  out = g_string_sized_new (strlen (value) + 2);
  g_string_append_c (out, '"');
  for (const char *p = value; *p != '\0'; p++)
    {
      if (*p == '\\')
        {
          run++;
          continue;
        }
      if (*p == '"')
        {
          /* Hydra halves a run before a quote and an odd run makes the
           * quote literal: 2n backslashes, then \" */
          append_backslashes (out, 2 * run);
          g_string_append (out, "\\\"");
        }
      else
        {
          append_backslashes (out, run);
          g_string_append_c (out, *p);
        }
      run = 0;
    }
  /* A trailing run sits before the closing quote: doubled, it stays even
   * and the quote closes the string. */
  append_backslashes (out, 2 * run);
  g_string_append_c (out, '"');
  return g_string_free (out, FALSE);
}

char *
cmdb_hydra_escape_interpolations (const char *value)
{
  GString *out;
  gsize run = 0;

  g_return_val_if_fail (value != NULL, NULL);

  out = g_string_sized_new (strlen (value));
  for (const char *p = value; *p != '\0'; p++)
    {
      if (*p == '\\')
        {
          run++;
          continue;
        }
      /* OmegaConf: an odd run before ${ escapes it (and stands for half
       * the backslashes, rounded down); 2n+1 keeps all n literal. */
      append_backslashes (out, (p[0] == '$' && p[1] == '{') ? 2 * run + 1 : run);
      g_string_append_c (out, *p);
      run = 0;
    }
  append_backslashes (out, run);
  return g_string_free (out, FALSE);
}

/* [A-Za-z0-9_./+\-@%$]: the characters a value may hold unquoted in the
 * emitted commands (users and the original write these bare). Hydra would
 * also read ':' bare, but the original quoted values holding one, and where
 * its output was right we keep it byte for byte (hydra-overrides.md). */
static gboolean
is_bare_safe (const char *text)
{
  if (*text == '\0')
    return FALSE;
  for (const char *p = text; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && strchr ("_./+-@%$", *p) == NULL)
      return FALSE;
  return TRUE;
}

/* TRUE when Hydra reads @text, written bare, as exactly the string @text
 * (not `123`, `1e5`, `null`, `true`, `inf`...). */
static gboolean
reads_back_as_string (const char *text)
{
  g_autoptr (JsonNode) node = NULL;
  CmdbHydraValueType type;

  if (!cmdb_hydra_read_value_text (text, &type, &node))
    return FALSE;
  return type == CMDB_HYDRA_VALUE_STRING && strcmp (json_node_get_string (node), text) == 0;
}

static void
append_string (GString *out, const char *text, CmdbHydraValueStyle style)
{
  g_autofree char *quoted = NULL;

  if (is_bare_safe (text) && (style == CMDB_HYDRA_STYLE_BARE || reads_back_as_string (text)))
    {
      g_string_append (out, text);
      return;
    }
  quoted = cmdb_hydra_quote_string (text);
  g_string_append (out, quoted);
}

/* Dict keys cannot be quoted: only names that read back as themselves. */
static gboolean
is_writable_dict_key (const char *key)
{
  static const char *const constants[] = { "true", "false", "null", "inf", "nan" };

  if (!g_ascii_isalpha (key[0]) && key[0] != '_')
    return FALSE;
  for (const char *p = key; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '_' && *p != '-')
      return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (constants); i++)
    if (g_ascii_strcasecmp (key, constants[i]) == 0)
      return FALSE;
  return TRUE;
}

static gboolean
append_value (GString *out, JsonNode *value, CmdbHydraValueStyle style, GError **error)
{
  switch (json_node_get_node_type (value))
    {
      case JSON_NODE_NULL:
        g_string_append (out, "null");
        return TRUE;
      case JSON_NODE_ARRAY:
        {
          JsonArray *array = json_node_get_array (value);

          g_string_append_c (out, '[');
          for (guint i = 0; i < json_array_get_length (array); i++)
            {
              if (i > 0)
                g_string_append_c (out, ',');
              if (!append_value (out, json_array_get_element (array, i), style, error))
                return FALSE;
            }
          g_string_append_c (out, ']');
          return TRUE;
        }
      case JSON_NODE_OBJECT:
        {
          JsonObject *object = json_node_get_object (value);
          g_autoptr (GList) members = json_object_get_members (object);

          g_string_append_c (out, '{');
          for (GList *l = members; l != NULL; l = l->next)
            {
              const char *name = l->data;

              if (!is_writable_dict_key (name))
                {
                  g_set_error (error, CMDB_HYDRA_ERROR, CMDB_HYDRA_ERROR_VALUE,
                               "the dict key '%s' cannot be written in a Hydra override "
                               "(dict keys cannot be quoted: use [A-Za-z_][A-Za-z0-9_-]*)",
                               name);
                  return FALSE;
                }
              if (l != members)
                g_string_append_c (out, ',');
              g_string_append (out, name);
              g_string_append_c (out, ':');
              if (!append_value (out, json_object_get_member (object, name), style, error))
                return FALSE;
            }
          g_string_append_c (out, '}');
          return TRUE;
        }
      case JSON_NODE_VALUE:
      default:
        break;
    }

  switch (json_node_get_value_type (value))
    {
      case G_TYPE_INT64:
      case G_TYPE_INT:
      case G_TYPE_UINT:
      case G_TYPE_LONG:
        g_string_append_printf (out, "%" G_GINT64_FORMAT, json_node_get_int (value));
        return TRUE;
      case G_TYPE_DOUBLE:
      case G_TYPE_FLOAT:
        {
          g_autofree char *text = cmdb_hydra_format_float (json_node_get_double (value));

          g_string_append (out, text);
          return TRUE;
        }
      case G_TYPE_BOOLEAN:
        g_string_append (out, json_node_get_boolean (value) ? "true" : "false");
        return TRUE;
      case G_TYPE_STRING:
        if (*json_node_get_string (value) == '\0')
          g_string_append (out, "\"\"");
        else
          append_string (out, json_node_get_string (value), style);
        return TRUE;
      default:
        g_set_error (error, CMDB_HYDRA_ERROR, CMDB_HYDRA_ERROR_VALUE,
                     "a value of type %s cannot be written in a Hydra override",
                     g_type_name (json_node_get_value_type (value)));
        return FALSE;
    }
}

char *
cmdb_hydra_format_value (JsonNode *value, CmdbHydraValueStyle style, GError **error)
{
  GString *out;

  g_return_val_if_fail (value != NULL, NULL);

  out = g_string_new (NULL);
  if (!append_value (out, value, style, error))
    {
      g_string_free (out, TRUE);
      return NULL;
    }
  return g_string_free (out, FALSE);
}

char *
cmdb_hydra_format_override (const char *key, JsonNode *value, CmdbHydraValueStyle style,
                            GError **error)
{
  g_autofree char *text = NULL;

  g_return_val_if_fail (key != NULL, NULL);

  if (!cmdb_hydra_check_key (key, error))
    return NULL;
  if (value == NULL)
    {
      if (key[0] != '~')
        {
          g_set_error (error, CMDB_HYDRA_ERROR, CMDB_HYDRA_ERROR_VALUE,
                       "the override '%s' needs a value (only a ~key deletion has none)", key);
          return NULL;
        }
      return g_strdup (key);
    }
  text = cmdb_hydra_format_value (value, style, error);
  if (text == NULL)
    {
      g_prefix_error (error, "override '%s': ", key);
      return NULL;
    }
  return g_strconcat (key, "=", text, NULL);
}
