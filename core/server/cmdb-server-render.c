#define G_LOG_DOMAIN "cmdb-server"

/* The one HTML renderer. Everything that comes from data (labels, help,
 * option names, file names, values, messages) goes through
 * cmdb_html_append_escaped(); markup is only ever written from literals
 * here. Element ids are derived from schema keys, so they are escaped too.
 * The markup works without JavaScript (a plain POST form); app.js enhances
 * it (live evaluation, in-page navigation, the search picker). */

#include "cmdb-server-private.h"
#include "base/cmdb-text-private.h"

#include <string.h>

void
cmdb_html_append_escaped (GString *out, const char *text)
{
  g_autofree char *visible = NULL;

  if (text == NULL)
    return;
  /* Control characters and bidirectional overrides (from file names, ids,
   * values on disk) are shown as escapes: an override would otherwise
   * reorder the text after it. Line breaks and tabs stay (logs, commands). */
  if (cmdb_text_find_unsafe (text) != NULL)
    text = visible = cmdb_text_escape (text, "\n\r\t");
  for (const char *c = text; *c != '\0'; c++)
    switch (*c)
      {
        case '&':
          g_string_append (out, "&amp;");
          break;
        case '<':
          g_string_append (out, "&lt;");
          break;
        case '>':
          g_string_append (out, "&gt;");
          break;
        case '"':
          g_string_append (out, "&quot;");
          break;
        case '\'':
          g_string_append (out, "&#39;");
          break;
        default:
          g_string_append_c (out, *c);
          break;
      }
}

/* Appends literal markup followed by escaped text: keeps call sites short. */
static void
append_text (GString *out, const char *markup, const char *text)
{
  g_string_append (out, markup);
  cmdb_html_append_escaped (out, text);
}

static const char *
get_string (JsonObject *object, const char *name)
{
  JsonNode *node;

  if (object == NULL)
    return NULL;
  node = json_object_get_member (object, name);
  if (node == NULL || JSON_NODE_TYPE (node) != JSON_NODE_VALUE
      || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static gboolean
get_bool (JsonObject *object, const char *name, gboolean fallback)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  if (node == NULL || JSON_NODE_TYPE (node) != JSON_NODE_VALUE
      || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    return fallback;
  return json_node_get_boolean (node);
}

static JsonArray *
get_array (JsonObject *object, const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  return node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

/* The text a scalar JSON value shows as (numbers as JSON writes them). */
static char *
scalar_text (JsonNode *node)
{
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return g_strdup ("");
  if (JSON_NODE_TYPE (node) == JSON_NODE_VALUE)
    {
      GType type = json_node_get_value_type (node);
      if (type == G_TYPE_STRING)
        return g_strdup (json_node_get_string (node));
      if (type == G_TYPE_BOOLEAN)
        return g_strdup (json_node_get_boolean (node) ? "true" : "false");
      if (type == G_TYPE_DOUBLE)
        {
          /* Shortest form that reads back the same for a person: 0.0008,
           * not 0.00080000000000000004. */
          char buffer[G_ASCII_DTOSTR_BUF_SIZE];
          return g_strdup (
              g_ascii_formatd (buffer, sizeof buffer, "%.15g", json_node_get_double (node)));
        }
    }
  return json_to_string (node, FALSE);
}

/* Messages may be plain strings or {message: ...} objects. */
static const char *
message_text (JsonNode *node)
{
  if (JSON_NODE_TYPE (node) == JSON_NODE_VALUE && json_node_get_value_type (node) == G_TYPE_STRING)
    return json_node_get_string (node);
  if (JSON_NODE_HOLDS_OBJECT (node))
    return get_string (json_node_get_object (node), "message");
  return NULL;
}

/* An id-safe form of a schema key: anything but [A-Za-z0-9_-] becomes '_'
 * and a hash suffix keeps distinct keys distinct. */
static char *
key_to_id (const char *key)
{
  GString *id = g_string_new (NULL);
  gboolean changed = FALSE;

  for (const char *c = key; *c != '\0'; c++)
    {
      if (g_ascii_isalnum (*c) || *c == '_' || *c == '-')
        g_string_append_c (id, *c);
      else
        {
          g_string_append_c (id, '_');
          changed = TRUE;
        }
    }
  if (changed)
    g_string_append_printf (id, "-%08x", g_str_hash (key));
  return g_string_free (id, FALSE);
}

static void
render_messages (GString *out, JsonObject *field, const char *id)
{
  JsonArray *errors = get_array (field, "errors");
  JsonArray *warnings = get_array (field, "warnings");

  g_string_append_printf (out, "<div class=\"messages\" id=\"m-%s\" aria-live=\"polite\">", id);
  for (guint i = 0; errors != NULL && i < json_array_get_length (errors); i++)
    append_text (out, "<p class=\"error\">", message_text (json_array_get_element (errors, i))),
        g_string_append (out, "</p>");
  for (guint i = 0; warnings != NULL && i < json_array_get_length (warnings); i++)
    append_text (out, "<p class=\"warning\">", message_text (json_array_get_element (warnings, i))),
        g_string_append (out, "</p>");
  g_string_append (out, "</div>");
}

static gboolean
option_is_selected (JsonNode *value, const char *option_value)
{
  if (value == NULL || JSON_NODE_HOLDS_NULL (value))
    return FALSE;
  if (JSON_NODE_HOLDS_ARRAY (value))
    {
      JsonArray *array = json_node_get_array (value);
      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          g_autofree char *text = scalar_text (json_array_get_element (array, i));
          if (g_strcmp0 (text, option_value) == 0)
            return TRUE;
        }
      return FALSE;
    }
  {
    g_autofree char *text = scalar_text (value);
    return g_strcmp0 (text, option_value) == 0;
  }
}

/* The rest of an <option ...>: its label, and when the choice carries a
 * time (a checkpoint's), that time in UTC after it; app.js rewrites it in
 * the reader's local time from data-label and data-time. */
static void
append_option_time (GString *out, const char *label, const char *time)
{
  g_autoptr (GDateTime) when = time != NULL ? g_date_time_new_from_iso8601 (time, NULL) : NULL;
  g_autofree char *shown = NULL;

  if (when == NULL)
    {
      g_string_append_c (out, '>');
      cmdb_html_append_escaped (out, label);
      return;
    }
  append_text (out, " data-label=\"", label);
  append_text (out, "\" data-time=\"", time);
  g_string_append (out, "\">");
  shown = g_date_time_format (when, "%Y-%m-%d %H:%M UTC");
  cmdb_html_append_escaped (out, label);
  g_string_append (out, " \u00b7 ");
  cmdb_html_append_escaped (out, shown);
}

static void
render_select (GString *out, JsonObject *field, const char *key, const char *id, gboolean multiple,
               guint picker_threshold)
{
  JsonArray *options = get_array (field, "options");
  JsonNode *value = json_object_get_member (field, "value");
  const char *source = get_string (field, "options_source");
  guint n_options = options != NULL ? json_array_get_length (options) : 0;
  gboolean value_listed = FALSE;
  g_autofree char *value_text = NULL;

  if (!multiple && source != NULL && picker_threshold > 0 && n_options > picker_threshold)
    {
      /* Hundreds of choices: a text input that app.js turns into a
       * search-as-you-type list fed by /api/options; without JavaScript
       * the name is typed. */
      value_text = scalar_text (value);
      g_string_append (out, "<div class=\"picker\" data-source=\"");
      cmdb_html_append_escaped (out, source);
      g_string_append_printf (out, "\" data-count=\"%u\">", n_options);
      g_string_append_printf (out,
                              "<input type=\"text\" id=\"f-%s\" role=\"combobox\" "
                              "aria-autocomplete=\"list\" aria-expanded=\"false\" "
                              "aria-controls=\"l-%s\" autocomplete=\"off\" "
                              "aria-describedby=\"h-%s m-%s\" name=\"",
                              id, id, id, id);
      cmdb_html_append_escaped (out, key);
      append_text (out, "\" value=\"", value_text);
      g_string_append_printf (out, "\" placeholder=\"Search %u choices\">", n_options);
      g_string_append_printf (
          out, "<ul class=\"picker-list\" role=\"listbox\" id=\"l-%s\" hidden></ul></div>", id);
      return;
    }

  g_string_append_printf (out, "<select id=\"f-%s\" aria-describedby=\"h-%s m-%s\"%s name=\"", id,
                          id, id, multiple ? " multiple" : "");
  cmdb_html_append_escaped (out, key);
  g_string_append (out, "\">");
  for (guint i = 0; i < n_options; i++)
    {
      JsonNode *node = json_array_get_element (options, i);
      const char *option_value = NULL;
      const char *label = NULL;
      const char *time = NULL;

      if (JSON_NODE_HOLDS_OBJECT (node))
        {
          option_value = get_string (json_node_get_object (node), "value");
          label = get_string (json_node_get_object (node), "label");
          time = get_string (json_node_get_object (node), "time");
        }
      else if (JSON_NODE_TYPE (node) == JSON_NODE_VALUE)
        option_value = json_node_get_string (node);
      if (option_value == NULL)
        continue;
      if (option_is_selected (value, option_value))
        value_listed = TRUE;
      append_text (out, "<option value=\"", option_value);
      g_string_append_c (out, '"');
      if (option_is_selected (value, option_value))
        g_string_append (out, " selected");
      append_option_time (out, label != NULL ? label : option_value, time);
      g_string_append (out, "</option>");
    }
  /* A value that is not a choice (an empty default, a stale name) stays
   * visible as such instead of silently showing the first choice. */
  value_text = scalar_text (value);
  if (!multiple && !value_listed)
    {
      append_text (out, "<option value=\"", value_text);
      g_string_append (out, "\" selected>");
      if (value_text[0] == '\0')
        g_string_append (out, "(none)");
      else
        cmdb_html_append_escaped (out, value_text);
      g_string_append (out, "</option>");
    }
  g_string_append (out, "</select>");
}

static void
append_number_attribute (GString *out, const char *name, JsonNode *node)
{
  g_autofree char *text = NULL;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node) || JSON_NODE_TYPE (node) != JSON_NODE_VALUE)
    return;
  text = scalar_text (node);
  g_string_append_printf (out, " %s=\"", name);
  cmdb_html_append_escaped (out, text);
  g_string_append_c (out, '"');
}

static void
render_field (GString *out, JsonObject *field, guint picker_threshold)
{
  const char *key = get_string (field, "key");
  const char *type = get_string (field, "type");
  const char *label = get_string (field, "label");
  const char *help = get_string (field, "help");
  JsonNode *value = json_object_get_member (field, "value");
  JsonArray *errors = get_array (field, "errors");
  gboolean invalid = errors != NULL && json_array_get_length (errors) > 0;
  g_autofree char *id = NULL;
  g_autofree char *value_text = NULL;

  if (key == NULL || !get_bool (field, "visible", TRUE))
    return;
  id = key_to_id (key);
  type = type != NULL ? type : "text_input";
  label = label != NULL ? label : key;
  value_text = scalar_text (value);

  g_string_append_printf (
      out, "<div class=\"field field-%s%s%s\" id=\"w-%s\" data-key=\"",
      g_str_equal (type, "text_input") || g_str_equal (type, "selectbox")
              || g_str_equal (type, "multiselect") || g_str_equal (type, "slider")
              || g_str_equal (type, "number_input") || g_str_equal (type, "checkbox")
              || g_str_equal (type, "info")
          ? type
          : "unknown",
      invalid ? " invalid" : "", get_bool (field, "user_set", FALSE) ? " user-set" : "", id);
  cmdb_html_append_escaped (out, key);
  g_string_append (out, "\">");

  if (g_str_equal (type, "info"))
    {
      append_text (out, "<h3 class=\"label\">", label);
      append_text (out, "</h3><pre class=\"info\">", get_string (field, "info"));
      g_string_append (out, "</pre></div>");
      return;
    }

  g_string_append_printf (out, "<div class=\"label-row\"><label for=\"f-%s\">", id);
  cmdb_html_append_escaped (out, label);
  g_string_append (out, "</label>");
  /* The mark the form's legend explains; its words are for screen readers. */
  if (get_bool (field, "user_set", FALSE))
    g_string_append (out, "<span class=\"user-set-mark\" title=\"Changed by you\"><span "
                          "aria-hidden=\"true\">\u2022</span><span class=\"visually-hidden\">"
                          "changed by you</span></span>");
  if (help != NULL && help[0] != '\0')
    {
      /* Out of the Tab order (one stop per field doubled the presses
       * through a form); the field itself names the help with
       * aria-describedby, and a screen reader still finds the button. */
      g_string_append (out, "<button type=\"button\" class=\"help\" tabindex=\"-1\" "
                            "aria-label=\"Help: ");
      cmdb_html_append_escaped (out, label);
      g_string_append_printf (out,
                              "\" aria-describedby=\"h-%s\">?</button>"
                              "<span class=\"tip\" role=\"tooltip\" id=\"h-%s\">",
                              id, id);
      cmdb_html_append_escaped (out, help);
      g_string_append (out, "</span>");
    }
  g_string_append (out, "</div>");

  if (g_str_equal (type, "checkbox"))
    {
      /* The hidden "false" comes first: an unchecked box posts nothing, a
       * checked one posts both and the last value wins. */
      g_string_append (out, "<input type=\"hidden\" value=\"false\" name=\"");
      cmdb_html_append_escaped (out, key);
      g_string_append_printf (out,
                              "\"><input type=\"checkbox\" id=\"f-%s\" value=\"true\" "
                              "aria-describedby=\"h-%s m-%s\"%s name=\"",
                              id, id, id, g_str_equal (value_text, "true") ? " checked" : "");
      cmdb_html_append_escaped (out, key);
      g_string_append (out, "\">");
    }
  else if (g_str_equal (type, "selectbox") || g_str_equal (type, "multiselect"))
    render_select (out, field, key, id, g_str_equal (type, "multiselect"), picker_threshold);
  else if (g_str_equal (type, "slider") || g_str_equal (type, "number_input"))
    {
      JsonNode *min = json_object_get_member (field, "min");
      JsonNode *max = json_object_get_member (field, "max");
      JsonNode *step = json_object_get_member (field, "step");

      g_string_append_printf (out,
                              "<div class=\"number-row\"><input type=\"number\" id=\"f-%s\" "
                              "aria-describedby=\"h-%s m-%s\"",
                              id, id, id);
      append_number_attribute (out, "min", min);
      append_number_attribute (out, "max", max);
      if (step != NULL && !JSON_NODE_HOLDS_NULL (step))
        append_number_attribute (out, "step", step);
      else
        g_string_append (out, " step=\"any\"");
      append_text (out, " value=\"", value_text);
      g_string_append (out, "\" name=\"");
      cmdb_html_append_escaped (out, key);
      g_string_append (out, "\">");
      if (g_str_equal (type, "slider") && min != NULL && max != NULL)
        {
          /* A mouse convenience mirroring the number box (app.js keeps
           * them in step); the number box is what is submitted. */
          g_string_append_printf (out,
                                  "<input type=\"range\" class=\"mirror\" data-for=\"f-%s\" "
                                  "tabindex=\"-1\" aria-hidden=\"true\"",
                                  id);
          append_number_attribute (out, "min", min);
          append_number_attribute (out, "max", max);
          if (step != NULL && !JSON_NODE_HOLDS_NULL (step))
            append_number_attribute (out, "step", step);
          else
            g_string_append (out, " step=\"any\"");
          append_text (out, " value=\"", value_text);
          g_string_append (out, "\">");
        }
      g_string_append (out, "</div>");
    }
  else
    {
      g_string_append_printf (out,
                              "<input type=\"text\" id=\"f-%s\" aria-describedby=\"h-%s m-%s\" "
                              "spellcheck=\"false\" value=\"",
                              id, id, id);
      cmdb_html_append_escaped (out, value_text);
      g_string_append (out, "\" name=\"");
      cmdb_html_append_escaped (out, key);
      g_string_append (out, "\">");
    }
  render_messages (out, field, id);
  g_string_append (out, "</div>");
}

static void
render_use_cases (GString *out, const CmdbHtmlPageView *view)
{
  guint n = view->use_cases != NULL ? json_array_get_length (view->use_cases) : 0;

  if (n == 0)
    return;
  g_string_append (out, "<section class=\"suggestions\" aria-labelledby=\"suggestions-title\">"
                        "<h3 id=\"suggestions-title\">Suggested setups</h3><div class=\"cards\">");
  for (guint i = 0; i < n; i++)
    {
      JsonNode *node = json_array_get_element (view->use_cases, i);
      JsonObject *use_case = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      const char *id = get_string (use_case, "id");
      const char *title = get_string (use_case, "title");
      const char *description = get_string (use_case, "description");
      gboolean active = id != NULL && g_strcmp0 (id, view->active_use_case) == 0;
      JsonNode *parameters_node
          = use_case != NULL ? json_object_get_member (use_case, "parameters") : NULL;

      if (id == NULL)
        continue;
      g_string_append_printf (out, "<form class=\"card%s\" method=\"post\" action=\"/",
                              active ? " active" : "");
      cmdb_html_append_escaped (out, view->page_id);
      g_string_append (out, "\"><input type=\"hidden\" name=\"_action\" value=\"apply\">");
      append_text (out, "<h4>", title != NULL ? title : id);
      g_string_append (out, "</h4>");
      /* Applying a setup changes no card's size (the form below must not
       * move): the "applied" mark sits over the card's corner and its
       * values open over what follows. */
      if (active)
        g_string_append (out, "<span class=\"applied\">Applied</span>");
      if (description != NULL)
        append_text (out, "<p>", description), g_string_append (out, "</p>");
      if (parameters_node != NULL && JSON_NODE_HOLDS_OBJECT (parameters_node))
        {
          JsonObject *parameters = json_node_get_object (parameters_node);
          g_autoptr (GList) names = json_object_get_members (parameters);

          g_string_append (out, "<details class=\"card-values\"><summary>Its values</summary>"
                                "<dl class=\"parameters\">");
          for (GList *l = names; l != NULL; l = l->next)
            {
              g_autofree char *text = scalar_text (json_object_get_member (parameters, l->data));
              append_text (out, "<dt>", l->data);
              append_text (out, "</dt><dd><code>", text);
              g_string_append (out, "</code></dd>");
            }
          g_string_append (out, "</dl></details>");
        }
      append_text (out, "<button type=\"submit\" name=\"_use_case\" value=\"", id);
      g_string_append (out, "\">Apply</button></form>");
    }
  g_string_append (out, "</div></section>");
}

/* The presets of the page: filled by presets.js from the presets API (a
 * preset committed while the server runs appears at the next visit). */
static void
render_presets_section (GString *out, const char *page_id)
{
  g_string_append (out, "<section class=\"suggestions presets\" id=\"presets\" "
                        "data-client-owned data-page=\"");
  cmdb_html_append_escaped (out, page_id);
  g_string_append (out, "\" aria-labelledby=\"presets-title\"><h3 id=\"presets-title\">Presets</h3>"
                        "<div class=\"cards\"></div><form class=\"preset-save\">"
                        "<label>Save the form as <input name=\"name\" required maxlength=\"64\" "
                        "placeholder=\"name\"></label> "
                        "<input name=\"description\" placeholder=\"description\"> "
                        "<label><input type=\"checkbox\" name=\"private\"> private</label> "
                        "<button type=\"submit\">Save preset</button></form>"
                        "<p class=\"presets-status\" role=\"status\"></p></section>");
}

static void
render_string_list (GString *out, const char *heading, JsonArray *items)
{
  guint n = items != NULL ? json_array_get_length (items) : 0;

  if (n == 0)
    return;
  append_text (out, "<h4>", heading);
  g_string_append (out, "</h4><pre class=\"list\">");
  for (guint i = 0; i < n; i++)
    {
      const char *text = message_text (json_array_get_element (items, i));
      cmdb_html_append_escaped (out, text);
      g_string_append_c (out, '\n');
    }
  g_string_append (out, "</pre>");
}

/* Splits a one-line command at spaces that start an override, so a diff
 * compares overrides, not characters. Quoted spaces are kept. */
static GPtrArray *
command_lines (const char *text)
{
  GPtrArray *lines = g_ptr_array_new_with_free_func (g_free);
  GString *current = g_string_new (NULL);
  char quote = 0;

  for (const char *c = text != NULL ? text : ""; *c != '\0'; c++)
    {
      if (quote != 0)
        {
          if (*c == quote)
            quote = 0;
          else if (*c == '\\' && quote == '"' && c[1] != '\0')
            g_string_append_c (current, *c++);
          g_string_append_c (current, *c);
          continue;
        }
      if (*c == '\'' || *c == '"')
        quote = *c;
      if (*c == '\\' && c[1] == '\n')
        {
          c++;
          continue;
        }
      if (g_ascii_isspace (*c))
        {
          if (current->len > 0)
            g_ptr_array_add (lines, g_strdup (current->str));
          g_string_truncate (current, 0);
          continue;
        }
      g_string_append_c (current, *c);
    }
  if (current->len > 0)
    g_ptr_array_add (lines, g_strdup (current->str));
  g_string_free (current, TRUE);
  return lines;
}

/* What an override sets: the text before its first '=' (a word without
 * one, like the runner, is its own key). */
static char *
override_key (const char *word)
{
  const char *equals = strchr (word, '=');

  return equals != NULL ? g_strndup (word, equals - word) : g_strdup (word);
}

static void
append_diff_line (GString *out, const char *tag, const char *sign, const char *word)
{
  g_string_append_printf (out, "<%s>%s ", tag, sign);
  cmdb_html_append_escaped (out, word);
  g_string_append_printf (out, "</%s>\n", tag);
}

char *
cmdb_html_render_diff (const char *before, const char *after)
{
  g_autoptr (GPtrArray) a = command_lines (before);
  g_autoptr (GPtrArray) b = command_lines (after);
  /* key -> the word of @before that sets it (the first, for a key set twice) */
  g_autoptr (GHashTable) before_by_key
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  /* words of @before matched by @after (same word, or same key) */
  g_autoptr (GHashTable) matched = g_hash_table_new (g_direct_hash, g_direct_equal);
  GString *out = g_string_new ("<pre class=\"diff\">");
  guint unchanged = 0;

  /* Only what changed, a changed override as its old and new word side by
   * side: a command has dozens of words and the page's defaults differ in
   * a few. Order follows @after; words only @before has come last. */
  for (guint i = a->len; i-- > 0;)
    g_hash_table_insert (before_by_key, override_key (a->pdata[i]), a->pdata[i]);
  for (guint j = 0; j < b->len; j++)
    {
      const char *word = b->pdata[j];
      g_autofree char *key = override_key (word);
      const char *old = g_hash_table_lookup (before_by_key, key);
      gboolean same = FALSE;

      for (guint i = 0; i < a->len && !same; i++)
        if (!g_hash_table_contains (matched, a->pdata[i]) && g_str_equal (a->pdata[i], word))
          {
            g_hash_table_add (matched, a->pdata[i]);
            same = TRUE;
          }
      if (same)
        {
          unchanged++;
          continue;
        }
      if (old != NULL && !g_hash_table_contains (matched, old))
        {
          g_hash_table_add (matched, (gpointer) old);
          append_diff_line (out, "del", "-", old);
        }
      append_diff_line (out, "ins", "+", word);
    }
  for (guint i = 0; i < a->len; i++)
    if (!g_hash_table_contains (matched, a->pdata[i]))
      append_diff_line (out, "del", "-", a->pdata[i]);
  g_string_append (out, "</pre>");
  if (unchanged > 0)
    g_string_append_printf (out,
                            "<p class=\"note diff-unchanged\">%u unchanged word%s not shown.</p>",
                            unchanged, unchanged == 1 ? "" : "s");
  return g_string_free (out, FALSE);
}

/* The command Run would execute is invalid: the form's has errors (and
 * no edited text replaces it), or the edited text has a word that does
 * not parse. An edited text runs as typed otherwise. */
static gboolean
command_invalid (const CmdbHtmlPageView *view)
{
  const char *generated = get_string (view->command, "command");
  JsonArray *errors = get_array (view->command, "errors");
  gboolean edited = view->edited != NULL && g_strcmp0 (view->edited, generated) != 0;

  if (edited)
    return view->command_problem != NULL;
  return generated == NULL || (errors != NULL && json_array_get_length (errors) > 0);
}

/* What an edited text says against the form: a word that does not parse
 * (at its position), the extra overrides no field owns, and whether the
 * form is in effect (and what differs when it is not). */
static void
render_command_reading (GString *out, const CmdbHtmlPageView *view)
{
  if (view->command_problem != NULL)
    {
      g_string_append (out, "<p class=\"error\" id=\"command-problem\" role=\"alert\">");
      if (view->command_problem_offset >= 0)
        g_string_append_printf (out, "At character %" G_GSSIZE_FORMAT ": ",
                                view->command_problem_offset + 1);
      cmdb_html_append_escaped (out, view->command_problem);
      g_string_append (out, "</p>");
    }
  if (view->extras != NULL && view->extras->len > 0)
    {
      g_string_append (out, "<div class=\"extras\" id=\"command-extras\"><span class=\"label\">"
                            "Extra overrides (no field owns them, kept in the command):</span> ");
      for (guint i = 0; i < view->extras->len; i++)
        append_text (out, "<code>", g_ptr_array_index (view->extras, i)),
            g_string_append (out, "</code> ");
      g_string_append (out, "</div>");
    }
  if (view->form_not_in_effect && view->command_problem == NULL)
    {
      g_string_append (out, "<div class=\"not-in-effect\" id=\"form-not-in-effect\" "
                            "role=\"status\"><strong>The form is not in effect:</strong> Run "
                            "executes the text above, which differs from the form.<ul "
                            "id=\"command-differences\">");
      for (guint i = 0; view->differences != NULL && i < view->differences->len; i++)
        append_text (out, "<li>", g_ptr_array_index (view->differences, i)),
            g_string_append (out, "</li>");
      g_string_append (out, "</ul></div>");
    }
}

static void
render_pretty (GString *out, const CmdbHtmlPageView *view)
{
  const char *generated = get_string (view->command, "command");
  const char *pretty = get_string (view->command, "pretty");
  g_autofree char *edited_pretty = NULL;

  /* The pretty view is always what Run executes: the edited text when
   * there is one. */
  if (view->edited != NULL && g_strcmp0 (view->edited, generated) != 0)
    {
      JsonArray *argv = get_array (view->command, "argv");
      JsonArray *constants = get_array (view->command, "constant_overrides");
      JsonArray *overrides = get_array (view->command, "overrides");
      guint n_head = argv != NULL ? json_array_get_length (argv) : 0;

      n_head -= constants != NULL ? MIN (n_head, json_array_get_length (constants)) : 0;
      n_head -= overrides != NULL ? MIN (n_head, json_array_get_length (overrides)) : 0;
      edited_pretty = cmdb_shell_format_pretty_text (view->edited, n_head);
      if (edited_pretty != NULL)
        pretty = edited_pretty;
    }
  if (pretty == NULL)
    return;
  g_string_append (out, "<section class=\"pretty-command\" aria-labelledby=\"pretty-title\">"
                        "<h4 id=\"pretty-title\">Pretty command (what Run executes)</h4>"
                        "<pre class=\"pretty\" id=\"pretty\">");
  cmdb_html_append_escaped (out, pretty);
  g_string_append (out, "</pre></section>");
}

static void
render_command (GString *out, const CmdbHtmlPageView *view)
{
  const char *generated = get_string (view->command, "command");
  const char *text = view->edited != NULL ? view->edited : generated;
  JsonArray *errors = get_array (view->command, "errors");
  JsonNode *compose
      = view->command != NULL ? json_object_get_member (view->command, "compose") : NULL;
  gboolean composes = compose == NULL || !JSON_NODE_HOLDS_OBJECT (compose)
                      || get_bool (json_node_get_object (compose), "ok", TRUE);
  JsonArray *compose_errors = get_array (view->command, "compose_errors");
  gboolean edited = view->edited != NULL && g_strcmp0 (view->edited, generated) != 0;
  gboolean valid = !command_invalid (view);

  g_string_append (out,
                   "<section class=\"command\" aria-labelledby=\"command-title\">"
                   "<div class=\"section-head\"><h3 id=\"command-title\">Generated command</h3>");
  /* Invalid: the command has errors (Run is off) or Hydra would not
   * compose it (Run asks first). */
  g_string_append_printf (out,
                          "<span class=\"badge %s\" id=\"command-badge\" data-invalid=\"%s\" "
                          "data-composes=\"%s\">%s</span></div>",
                          valid && composes ? "ok" : "bad", valid ? "false" : "true",
                          composes ? "true" : "false", valid && composes ? "Valid" : "Invalid");
  g_string_append (out, "<label for=\"command\" class=\"label\">Command (editable)</label>");
  g_string_append (out,
                   "<textarea id=\"command\" name=\"_command\" rows=\"4\" spellcheck=\"false\" "
                   "aria-describedby=\"command-note\">");
  cmdb_html_append_escaped (out, text != NULL ? text : "");
  g_string_append (out, "</textarea><p class=\"note\" id=\"command-note\">");
  if (edited && view->form_not_in_effect)
    g_string_append (out, "Edited by hand: Run executes this text. Generate replaces it with the "
                          "form's command.");
  else if (edited)
    g_string_append (out, "Edited by hand, and the form follows it: a field's change updates the "
                          "text. Generate drops the extra overrides.");
  else
    g_string_append (out,
                     "Follows the form. Edit it to run something else; Generate refreshes it.");
  g_string_append (out, "</p>");
  if (edited)
    render_command_reading (out, view);
  for (guint i = 0; errors != NULL && i < json_array_get_length (errors); i++)
    append_text (out, "<p class=\"error\">", message_text (json_array_get_element (errors, i))),
        g_string_append (out, "</p>");
  for (guint i = 0; compose_errors != NULL && i < json_array_get_length (compose_errors); i++)
    append_text (out, "<p class=\"error compose-error\">",
                 message_text (json_array_get_element (compose_errors, i))),
        g_string_append (out, "</p>");
  if (!composes && (compose_errors == NULL || json_array_get_length (compose_errors) == 0))
    g_string_append (out, "<p class=\"error compose-error\">Hydra would not compose this "
                          "command: see the fields marked above.</p>");
  g_string_append (out,
                   "<div class=\"buttons\">"
                   "<button type=\"submit\" name=\"_action\" value=\"generate\" class=\"primary\" "
                   "id=\"generate\" aria-keyshortcuts=\"Control+Enter\">Generate command</button>"
                   "<button type=\"button\" id=\"copy\" class=\"js-only\">Copy</button>");
  append_text (out,
               "<a class=\"button\" id=\"download\" download=\"command.sh\" href=\"/api/pages/",
               view->page_id);
  g_string_append (
      out, "/command.sh\">Download command.sh</a>"
           "<button type=\"submit\" name=\"_action\" value=\"reset\" id=\"reset\">Reset</button>"
           /* Without JavaScript, the way to have an edited text read back
            * onto the form (the script sends each edit by itself). */
           "<button type=\"submit\" name=\"_action\" value=\"command\" id=\"use-command\" "
           "class=\"no-js-only\">Use the edited text</button>"
           "<span class=\"status\" id=\"status\" role=\"status\" aria-live=\"polite\">");
  cmdb_html_append_escaped (out, view->notice);
  g_string_append (out, "</span></div></section>");
}

static void
render_overrides_and_diffs (GString *out, const CmdbHtmlPageView *view)
{
  const char *generated = get_string (view->command, "command");

  g_string_append (
      out, "<details class=\"overrides\" id=\"overrides\"><summary>Overrides preview</summary>");
  render_string_list (out, "Constant overrides", get_array (view->command, "constant_overrides"));
  render_string_list (out, "Dynamic overrides", get_array (view->command, "overrides"));
  if (get_array (view->command, "overrides") == NULL
      || json_array_get_length (get_array (view->command, "overrides")) == 0)
    g_string_append (out, "<p class=\"note\">The form produces no overrides.</p>");
  g_string_append (out, "</details>");

  g_string_append (out, "<details class=\"diffs\" id=\"diffs\"><summary>Differences</summary>");
  if (generated != NULL && view->defaults_command != NULL)
    {
      g_string_append (out, "<h4>Against the page's defaults</h4>");
      if (g_str_equal (view->defaults_command, generated))
        g_string_append (out, "<p class=\"note\">Same as the defaults.</p>");
      else
        {
          g_autofree char *diff = cmdb_html_render_diff (view->defaults_command, generated);
          g_string_append (out, diff);
        }
    }
  if (generated != NULL && view->previous != NULL && !g_str_equal (view->previous, generated))
    {
      g_autofree char *diff = cmdb_html_render_diff (view->previous, generated);
      g_string_append (out, "<h4>Against the previous command</h4>");
      g_string_append (out, diff);
    }
  else
    g_string_append (out, "<h4>Against the previous command</h4>"
                          "<p class=\"note\">No earlier command differs from this one.</p>");
  g_string_append (out, "</details>");
}

/* What in the workspace's set-up stops this page's runs (the launcher
 * not installed, the runner script missing): a banner over the page, each
 * problem with the file to fix. */
static void
render_setup_banner (GString *out, GPtrArray *problems)
{
  if (problems == NULL || problems->len == 0)
    return;
  g_string_append (out, "<div class=\"setup-banner\" id=\"setup-problems\" role=\"alert\">"
                        "<strong>Runs of this page cannot start until the workspace is set up:"
                        "</strong><ul>");
  for (guint i = 0; i < problems->len; i++)
    {
      const CmdbProblem *problem = g_ptr_array_index (problems, i);

      append_text (out, "<li>", problem->message);
      if (problem->path != NULL)
        append_text (out, " <span class=\"where\">(", problem->path),
            g_string_append (out, ")</span>");
      g_string_append (out, "</li>");
    }
  g_string_append (out, "</ul></div>");
}

/* The page option "Append architecture + encoder to experiment name": not
 * a schema field, so its name starts with '_' like the other form
 * controls (_action, _command), which no schema key uses. */
static void
render_suffix (GString *out, gboolean checked)
{
  g_string_append_printf (
      out,
      "<div class=\"field field-checkbox page-option\" id=\"w-suffix\">"
      "<div class=\"label-row\"><label for=\"append-suffix\">Append architecture + encoder to "
      "experiment name</label><button type=\"button\" class=\"help\" tabindex=\"-1\" "
      "aria-label=\"Help: Append "
      "architecture + encoder to experiment name\" aria-describedby=\"h-suffix\">?</button>"
      "<span class=\"tip\" role=\"tooltip\" id=\"h-suffix\">Adds -architecture-decoder-encoder "
      "to exp_name so that runs of different models write to different experiment directories. "
      "Not applied when resuming or without an encoder.</span></div>"
      "<input type=\"hidden\" name=\"_suffix\" value=\"false\">"
      "<input type=\"checkbox\" id=\"append-suffix\" name=\"_suffix\" value=\"true\" "
      "aria-describedby=\"h-suffix\"%s></div>",
      checked ? " checked" : "");
}

char *
cmdb_html_render_page_body (const CmdbHtmlPageView *view)
{
  GString *out = g_string_new (NULL);
  const char *title = get_string (view->form, "title");
  JsonArray *fields = get_array (view->form, "fields");
  JsonArray *problems = get_array (view->form, "problems");

  append_text (out, "<header class=\"page-head\"><h2 id=\"page-title\">", view->page_title);
  g_string_append (out, "</h2>");
  if (title != NULL)
    append_text (out, "<p class=\"subtitle\">", title), g_string_append (out, "</p>");
  g_string_append (out, "</header>");

  if (view->error != NULL)
    {
      append_text (out, "<div class=\"page-error\" role=\"alert\"><p class=\"error\">",
                   view->error);
      g_string_append (out, "</p></div>");
      return g_string_free (out, FALSE);
    }

  render_setup_banner (out, view->setup_problems);
  if (problems != NULL && json_array_get_length (problems) > 0)
    {
      g_string_append (out, "<div class=\"page-problems\">");
      for (guint i = 0; i < json_array_get_length (problems); i++)
        append_text (out, "<p class=\"problem warning\">",
                     message_text (json_array_get_element (problems, i))),
            g_string_append (out, "</p>");
      g_string_append (out, "</div>");
    }

  render_use_cases (out, view);
  render_presets_section (out, view->page_id);

  g_string_append_printf (out,
                          "<form class=\"page-form%s\" id=\"page-form\" method=\"post\" "
                          "action=\"/",
                          view->form_not_in_effect ? " form-not-in-effect" : "");
  cmdb_html_append_escaped (out, view->page_id);
  g_string_append (out,
                   "\" novalidate><div class=\"columns\"><section class=\"fields\" "
                   "aria-label=\"Form\"><div class=\"form-head\"><h3>Configuration</h3>"
                   "<p class=\"legend\" id=\"form-legend\"><span class=\"user-set-mark\" "
                   "aria-hidden=\"true\">\u2022</span> changed by you; the other fields follow "
                   "their defaults</p></div>");
  for (guint i = 0; fields != NULL && i < json_array_get_length (fields); i++)
    {
      JsonNode *node = json_array_get_element (fields, i);
      if (JSON_NODE_HOLDS_OBJECT (node))
        render_field (out, json_node_get_object (node), view->picker_threshold);
    }
  if (view->suffix_available)
    render_suffix (out, view->suffix);
  g_string_append (out, "<noscript><p class=\"note\">Without JavaScript, press Generate command to "
                        "update the form after a change.</p></noscript></section>"
                        "<div class=\"output\">");
  /* Run right under the command (on screen without scrolling), then the
   * longer views of the same command. */
  render_command (out, view);
  cmdb_html_render_execution_panel (out, view->page_id, view->last_run, command_invalid (view));
  render_pretty (out, view);
  render_overrides_and_diffs (out, view);
  g_string_append (out, "</div></div></form>");
  return g_string_free (out, FALSE);
}

/* 64-bit FNV-1a over @size bytes of @data, continuing from @hash. The
 * asset version only has to change when an asset does: SHA-256 over the
 * embedded assets was a fifth of a fresh server's first page (5 M of 24 M
 * instructions, callgrind); this is a tenth of that. */
static guint64
fnv1a_64 (guint64 hash, const guint8 *data, gsize size)
{
  for (gsize i = 0; i < size; i++)
    {
      hash ^= data[i];
      hash *= G_GUINT64_CONSTANT (0x100000001b3);
    }
  return hash;
}

const char *
cmdb_html_asset_version (void)
{
  /* Computed once; the server is single-threaded. */
  static char *version;

  if (version == NULL)
    {
      /* Every embedded asset, so one added later is covered too. */
      g_auto (GStrv) names = g_resources_enumerate_children ("/org/cmdbuilder/server/assets/",
                                                             G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
      guint64 hash = G_GUINT64_CONSTANT (0xcbf29ce484222325);

      for (guint i = 0; names != NULL && names[i] != NULL; i++)
        {
          g_autofree char *path = g_strconcat ("/org/cmdbuilder/server/assets/", names[i], NULL);
          g_autoptr (GBytes) bytes
              = g_resources_lookup_data (path, G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);

          /* The name too (with its NUL), so a renamed asset is a new version. */
          hash = fnv1a_64 (hash, (const guint8 *) names[i], strlen (names[i]) + 1);
          if (bytes != NULL)
            hash = fnv1a_64 (hash, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
        }
      version = g_strdup_printf ("%016" G_GINT64_MODIFIER "x", hash);
    }
  return version;
}

#define STYLESHEET "app.css"

/* The page's scripts, in the order they run. */
static const char *const page_scripts[] = { "app.js", "runs.js", "presets.js", "sweeps.js" };

/* (transfer none): the inline script that marks the document as scripted
 * (the stylesheet shows script-only controls under html.js, so the first
 * paint already has them) and adds the page's scripts once the document is
 * parsed, to run in order: scripts added by a script block neither the
 * parser nor the first paint (as defer ones would once loaded, DOMContent-
 * Loaded and the paint after their run), yet still delay the load event,
 * so a page is scripted by then. They are added at DOMContentLoaded, not
 * at once: an added script runs as soon as it is fetched, and one fetched
 * from the cache ran before <main> was parsed and found no page to drive
 * (the preload links below have fetched them by then anyway). It names
 * the asset version, so it is made (and its hash for the CSP computed)
 * once. */
static const char *
loader_script (void)
{
  /* Computed once; the server is single-threaded. */
  static char *script;

  if (script == NULL)
    {
      GString *text = g_string_new ("document.documentElement.classList.add(\"js\");"
                                    "function cmdbLoad(){[");
      for (gsize i = 0; i < G_N_ELEMENTS (page_scripts); i++)
        g_string_append_printf (text, "%s\"/assets/%s?v=%s\"", i > 0 ? "," : "", page_scripts[i],
                                cmdb_html_asset_version ());
      g_string_append (text, "].forEach(function(s){var e=document.createElement(\"script\");"
                             "e.src=s;e.async=false;document.head.appendChild(e)})}"
                             "document.readyState===\"loading\"?"
                             "document.addEventListener(\"DOMContentLoaded\",cmdbLoad):cmdbLoad()");
      script = g_string_free (text, FALSE);
    }
  return script;
}

static void
render_head (GString *out, const char *title)
{
  g_string_append (out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                        "<meta name=\"color-scheme\" content=\"light dark\">"
                        "<meta name=\"referrer\" content=\"no-referrer\">");
  append_text (out, "<title>", title);
  /* The scripts are fetched at once and run when fetched (the loader):
   * the server-rendered page is complete without them, so the first paint
   * waits for the HTML and the stylesheet only. The loader comes before
   * the stylesheet, which would hold an inline script back until it
   * arrived; the preload links name the scripts for tools reading the
   * markup and start their fetches as early. */
  g_string_append_printf (
      out,
      " \u00b7 Command Builder</title>"
      "<link rel=\"icon\" type=\"image/svg+xml\" href=\"/assets/icon.svg?v=%s\">"
      "<script>%s</script>",
      cmdb_html_asset_version (), loader_script ());
  for (gsize i = 0; i < G_N_ELEMENTS (page_scripts); i++)
    g_string_append_printf (out, "<link rel=\"preload\" as=\"script\" href=\"/assets/%s?v=%s\">",
                            page_scripts[i], cmdb_html_asset_version ());
  g_string_append_printf (out, "<link rel=\"stylesheet\" href=\"/assets/%s?v=%s\"></head>",
                          STYLESHEET, cmdb_html_asset_version ());
}

char *
cmdb_html_render_document (const char *title, const CmdbHtmlPageLink *pages, guint n_pages,
                           const char *current_id, const char *body_html)
{
  GString *out = g_string_new (NULL);

  render_head (out, title);
  g_string_append (out,
                   "<body><a class=\"skip\" href=\"#main\">Skip to the form</a><div class=\"app\">"
                   "<nav class=\"sidebar\" aria-label=\"Pages\"><h1>Command Builder</h1><ul>");
  for (guint i = 0; i < n_pages; i++)
    {
      gboolean current = g_strcmp0 (pages[i].id, current_id) == 0;

      append_text (out, "<li><a href=\"/", pages[i].id);
      append_text (out, "\" data-page=\"", pages[i].id);
      g_string_append_printf (out, "\"%s>", current ? " aria-current=\"page\"" : "");
      cmdb_html_append_escaped (out, pages[i].title);
      g_string_append (out, "</a></li>");
    }
  g_string_append (out, "</ul><p class=\"hint\">Apply a suggested setup to fill the form with an "
                        "architecture's defaults. Ctrl+Enter generates the command.</p></nav>");
  append_text (out, "<main id=\"main\" tabindex=\"-1\" data-page=\"", current_id);
  /* The page's own box: app.js keeps a page the user left in the document
   * as such a box, hidden, so that coming back costs no style or layout. */
  append_text (out, "\"><div class=\"view\" data-view=\"", current_id);
  g_string_append (out, "\">");
  g_string_append (out, body_html != NULL ? body_html : "");
  g_string_append (out, "</div></main></div></body></html>\n");
  return g_string_free (out, FALSE);
}

/* Reads the address from the meta element just before it: the script is
 * the same text for every page, so one hash in the CSP allows it. */
static const char address_script[]
    = "history.replaceState(null,\"\",document.querySelector('meta[name=\"cmdb-address\"]')"
      ".content)";

/* (transfer none) (nullable): the stylesheet's text when it can be put in
 * a <style> element as it is. */
static const char *
inline_stylesheet (void)
{
  static GBytes *bytes;
  static gboolean looked;

  if (!looked)
    {
      looked = TRUE;
      bytes = g_resources_lookup_data ("/org/cmdbuilder/server/assets/" STYLESHEET,
                                       G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
      /* Resources are NUL-terminated; text that would end the element is
       * left to the link. */
      if (bytes != NULL && strstr (g_bytes_get_data (bytes, NULL), "</") != NULL)
        g_clear_pointer (&bytes, g_bytes_unref);
    }
  return bytes != NULL ? g_bytes_get_data (bytes, NULL) : NULL;
}

char *
cmdb_html_document_with_address (const char *document, const char *address)
{
  static const char anchor[] = "<meta charset=\"utf-8\">";
  g_autofree char *link = g_strdup_printf ("<link rel=\"stylesheet\" href=\"/assets/%s?v=%s\">",
                                           STYLESHEET, cmdb_html_asset_version ());
  const char *at = strstr (document, anchor);
  const char *css = inline_stylesheet ();
  const char *link_at;
  GString *out;

  g_return_val_if_fail (at != NULL, g_strdup (document));
  at += strlen (anchor);
  out = g_string_sized_new (strlen (document) + 256 + (css != NULL ? strlen (css) : 0));
  g_string_append_len (out, document, at - document);
  append_text (out, "<meta name=\"cmdb-address\" content=\"", address);
  g_string_append_printf (out, "\"><script>%s</script>", address_script);
  /* A first load has nothing cached: the stylesheet comes inside the
   * document (allowed by its hash), so the first paint waits for no
   * other request. Later documents link it (cached for good). */
  link_at = css != NULL ? strstr (at, link) : NULL;
  if (link_at != NULL)
    {
      g_string_append_len (out, at, link_at - at);
      g_string_append_printf (out, "<style>%s</style>", css);
      at = link_at + strlen (link);
    }
  g_string_append (out, at);
  return g_string_free (out, FALSE);
}

/* (transfer full): the CSP source hash of an inline script's or style's text. */
static char *
source_hash (const char *script)
{
  guint8 digest[32];
  gsize length = sizeof digest;
  g_autoptr (GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);

  g_checksum_update (checksum, (const guchar *) script, strlen (script));
  g_checksum_get_digest (checksum, digest, &length);
  return g_base64_encode (digest, length);
}

const char *
cmdb_html_content_security_policy (void)
{
  /* Computed once; the server is single-threaded. */
  static char *policy;

  if (policy == NULL)
    {
      g_autofree char *address_hash = source_hash (address_script);
      g_autofree char *loader_hash = source_hash (loader_script ());
      g_autofree char *style_hash
          = inline_stylesheet () != NULL ? source_hash (inline_stylesheet ()) : NULL;
      g_autofree char *style_source
          = style_hash != NULL ? g_strdup_printf (" 'sha256-%s'", style_hash) : g_strdup ("");

      policy = g_strdup_printf (
          "default-src 'none'; script-src 'self' 'sha256-%s' 'sha256-%s'; style-src 'self'%s; "
          "img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; "
          "frame-ancestors 'none'",
          address_hash, loader_hash, style_source);
    }
  return policy;
}

char *
cmdb_html_render_message (const char *title, const char *message)
{
  GString *out = g_string_new (NULL);

  render_head (out, title);
  append_text (out, "<body><main class=\"message\"><h1>", title);
  append_text (out, "</h1><p>", message);
  g_string_append (out, "</p></main></body></html>\n");
  return g_string_free (out, FALSE);
}
