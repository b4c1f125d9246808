#define G_LOG_DOMAIN "cmdb-cli"

/* `cmdbuilder keys PAGE [--json]` (also the end of `build PAGE --help`):
 * what a page takes, read from its schema and evaluated with the defaults
 * in this workspace: each key's type, default, choices or range, when it
 * is shown, its rules and the override it produces. */

#include "cli.h"

#include <stdio.h>
#include <string.h>

/* Choices listed in text before "... and N more". */
#define SHOWN_CHOICES 12

/* A value as it would be typed after --set KEY=. */
static char *
value_text (JsonNode *node)
{
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return g_strdup ("(none)");
  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    {
      const char *text = json_node_get_string (node);
      return text[0] == '\0' ? g_strdup ("\"\"") : g_strdup (text);
    }
  return json_to_string (node, FALSE);
}

static char *
overrides_text (const CmdbSchemaElement *element)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < element->hydra_overrides->len; i++)
    g_string_append_printf (text, "%s%s=VALUE", i > 0 ? " " : "",
                            (const char *) g_ptr_array_index (element->hydra_overrides, i));
  return g_string_free (text, FALSE);
}

/* "required, at least 3 characters, >= 1" from the validation map. */
static char *
rules_text (const CmdbSchemaElement *element)
{
  const CmdbSchemaValidation *rules = &element->validation;
  g_autoptr (GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);

  if (rules->required)
    g_ptr_array_add (parts, g_strdup ("required"));
  if (rules->required_if_text != NULL)
    g_ptr_array_add (parts, g_strdup_printf ("required when %s", rules->required_if_text));
  if (rules->min_length >= 0)
    g_ptr_array_add (
        parts, g_strdup_printf ("at least %" G_GINT64_FORMAT " characters", rules->min_length));
  if (rules->has_min)
    g_ptr_array_add (parts, g_strdup_printf (">= %s", rules->min_text));
  if (rules->has_max)
    g_ptr_array_add (parts, g_strdup_printf ("<= %s", rules->max_text));
  if (rules->has_range)
    g_ptr_array_add (
        parts, g_strdup_printf ("in [%s, %s]", rules->range_low_text, rules->range_high_text));
  g_ptr_array_add (parts, NULL);
  return g_strjoinv (", ", (char **) parts->pdata);
}

/* "from models.backbones: resnet18, resnet34" or "1 to 100, step 1". */
static char *
choices_text (const CmdbFieldState *field)
{
  const CmdbSchemaElement *element = field->element;
  GString *text = g_string_new (NULL);

  if (field->options != NULL)
    {
      if (element->options_source != NULL && element->options == NULL)
        g_string_append_printf (text, "from %s: ", element->options_source);
      if (field->options->len == 0)
        g_string_append (text, "none in this workspace");
      for (guint i = 0; i < field->options->len && i < SHOWN_CHOICES; i++)
        {
          const char *value = ((CmdbSchemaOption *) g_ptr_array_index (field->options, i))->value;

          g_string_append_printf (text, "%s%s", i > 0 ? ", " : "",
                                  value[0] != '\0' ? value : "\"\" (none)");
        }
      if (field->options->len > SHOWN_CHOICES)
        g_string_append_printf (text, " ... and %u more (cmdbuilder options %s)",
                                field->options->len - SHOWN_CHOICES,
                                element->options_source != NULL ? element->options_source : "");
    }
  else if (element->type == CMDB_ELEMENT_CHECKBOX)
    g_string_append (text, "true, false");
  else if (field->min != NULL || field->max != NULL)
    {
      g_autofree char *min = field->min != NULL ? value_text (field->min) : g_strdup ("...");
      g_autofree char *max = field->max != NULL ? value_text (field->max) : g_strdup ("...");

      g_string_append_printf (text, "%s to %s", min, max);
      if (field->step != NULL)
        {
          g_autofree char *step = value_text (field->step);
          g_string_append_printf (text, ", step %s", step);
        }
    }
  return g_string_free (text, FALSE);
}

/* The form at its defaults in this workspace: effective choices and bounds. */
static CmdbFormState *
evaluate_defaults (CmdbCliSession *session, const char *page_id, GError **error)
{
  g_autoptr (CmdbPageSession) page_session
      = cmdb_cli_open_usable_page_session (session, page_id, error);

  if (page_session == NULL)
    return NULL;
  return cmdb_page_session_evaluate (page_session, NULL, CMDB_PAGE_SESSION_FOLLOW);
}

gboolean
cmdb_cli_print_page_keys (CmdbCliSession *session, const char *page_id, GError **error)
{
  g_autoptr (CmdbFormState) state = evaluate_defaults (session, page_id, error);
  CmdbSchema *schema;

  if (state == NULL)
    return FALSE;
  schema = cmdb_form_state_get_schema (state);
  printf ("Keys of page %s (%s), for --set KEY=VALUE:\n", page_id, cmdb_schema_get_path (schema));
  for (guint i = 0; i < cmdb_form_state_get_n_fields (state); i++)
    {
      const CmdbFieldState *field = cmdb_form_state_get_field (state, i);
      const CmdbSchemaElement *element = field->element;
      g_autofree char *default_text = NULL;
      g_autofree char *choices = NULL;
      g_autofree char *rules = NULL;
      g_autofree char *overrides = NULL;

      if (element->type == CMDB_ELEMENT_INFO || element->type == CMDB_ELEMENT_UNKNOWN)
        continue;
      default_text = value_text (field->default_value);
      choices = choices_text (field);
      rules = rules_text (element);
      overrides = overrides_text (element);
      printf ("\n  %-24s %-13s default %s\n", element->key, element->type_name, default_text);
      printf ("      %s%s%s\n", element->label, element->help != NULL ? ": " : "",
              element->help != NULL ? element->help : "");
      if (choices[0] != '\0')
        printf ("      choices: %s\n", choices);
      if (element->visible_if_text != NULL)
        printf ("      shown when: %s\n", element->visible_if_text);
      if (rules[0] != '\0')
        printf ("      rules: %s\n", rules);
      printf ("      override: %s\n",
              overrides[0] != '\0' ? overrides : "none of its own (the page reads it)");
    }
  return TRUE;
}

static JsonNode *
node_or_null (JsonNode *node)
{
  return node != NULL ? json_node_copy (node) : json_node_new (JSON_NODE_NULL);
}

static JsonObject *
field_to_json (const CmdbFieldState *field)
{
  const CmdbSchemaElement *element = field->element;
  const CmdbSchemaValidation *rules = &element->validation;
  JsonObject *object = json_object_new ();
  JsonObject *validation = json_object_new ();
  JsonArray *overrides = json_array_new ();

  json_object_set_string_member (object, "key", element->key);
  json_object_set_string_member (object, "type", element->type_name);
  json_object_set_string_member (object, "label", element->label);
  json_object_set_string_member (object, "help", element->help);
  json_object_set_member (object, "default", node_or_null (field->default_value));
  json_object_set_string_member (object, "options_source", element->options_source);
  if (field->options != NULL)
    {
      JsonArray *options = json_array_new ();

      for (guint i = 0; i < field->options->len; i++)
        json_array_add_string_element (
            options, ((CmdbSchemaOption *) g_ptr_array_index (field->options, i))->value);
      json_object_set_array_member (object, "choices", options);
    }
  else
    json_object_set_null_member (object, "choices");
  json_object_set_member (object, "min", node_or_null (field->min));
  json_object_set_member (object, "max", node_or_null (field->max));
  json_object_set_member (object, "step", node_or_null (field->step));
  json_object_set_string_member (object, "visible_if", element->visible_if_text);
  json_object_set_boolean_member (validation, "required", rules->required);
  json_object_set_string_member (validation, "required_if", rules->required_if_text);
  if (rules->min_length >= 0)
    json_object_set_int_member (validation, "min_length", rules->min_length);
  if (rules->has_min)
    json_object_set_double_member (validation, "min", rules->min);
  if (rules->has_max)
    json_object_set_double_member (validation, "max", rules->max);
  if (rules->has_range)
    {
      JsonArray *range = json_array_new ();

      json_array_add_double_element (range, rules->range_low);
      json_array_add_double_element (range, rules->range_high);
      json_object_set_array_member (validation, "range", range);
    }
  json_object_set_object_member (object, "validation", validation);
  for (guint i = 0; i < element->hydra_overrides->len; i++)
    json_array_add_string_element (overrides, g_ptr_array_index (element->hydra_overrides, i));
  json_object_set_array_member (object, "overrides", overrides);
  return object;
}

int
cmdb_cli_keys (int argc, char **argv)
{
  g_auto (CmdbCliCommonOptions) common = { 0 };
  gboolean json = FALSE;
  const GOptionEntry entries[]
      = { { "json", 0, 0, G_OPTION_ARG_NONE, &json,
            "Print a JSON array: {key, type, label, help, default, options_source, choices, min, "
            "max, step, visible_if, validation, overrides}",
            NULL },
          { NULL } };
  g_autoptr (GOptionContext) option_context
      = g_option_context_new ("PAGE - list the keys a page takes");
  g_autoptr (CmdbCliSession) session = NULL;
  g_autoptr (CmdbFormState) state = NULL;
  g_autoptr (GError) error = NULL;
  int status;

  g_option_context_add_main_entries (option_context, entries, NULL);
  cmdb_cli_add_common_options (option_context, &common);
  if (!cmdb_cli_parse_page_options (option_context, &common, &argc, &argv, &status))
    return status;
  if (argc != 2)
    {
      cmdb_cli_error ("keys: expected one PAGE (e.g. train)");
      return 1;
    }
  common.json_output = json;
  session = cmdb_cli_session_open (&common, &error);
  if (session == NULL)
    {
      cmdb_cli_error ("%s", error->message);
      return 1;
    }
  if (!json)
    {
      if (!cmdb_cli_print_page_keys (session, argv[1], &error))
        {
          cmdb_cli_error ("%s", error->message);
          return 1;
        }
      return 0;
    }
  state = evaluate_defaults (session, argv[1], &error);
  if (state == NULL)
    {
      cmdb_cli_error ("%s", error->message);
      return 1;
    }
  {
    g_autoptr (JsonArray) array = json_array_new ();
    g_autoptr (JsonNode) node = json_node_new (JSON_NODE_ARRAY);

    for (guint i = 0; i < cmdb_form_state_get_n_fields (state); i++)
      {
        const CmdbFieldState *field = cmdb_form_state_get_field (state, i);

        if (field->element->type != CMDB_ELEMENT_INFO
            && field->element->type != CMDB_ELEMENT_UNKNOWN)
          json_array_add_object_element (array, field_to_json (field));
      }
    json_node_set_array (node, array);
    cmdb_cli_print_json (node);
  }
  return 0;
}
