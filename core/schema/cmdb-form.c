#define G_LOG_DOMAIN "cmdb-schema"

#include "cmdbuilder.h"
#include "schema/cmdb-schema-private.h"
#include "sources/cmdb-sources-private.h"
#include "base/cmdb-text-private.h"

#include <math.h>
#include <string.h>

/* The first argument is stringified into the quark name: no formatter may space its dashes. */
/* clang-format off */
G_DEFINE_QUARK (cmdb-form-error-quark, cmdb_form_error)
/* clang-format on */

/* ---- input ---- */

struct _CmdbFormInput
{
  JsonObject *values;
  GHashTable *user_set; /* key set */
};

CmdbFormInput *
cmdb_form_input_new (void)
{
  CmdbFormInput *input = g_new0 (CmdbFormInput, 1);

  input->values = json_object_new ();
  input->user_set = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  return input;
}

CmdbFormInput *
cmdb_form_input_new_from_json (JsonObject *object)
{
  CmdbFormInput *input = cmdb_form_input_new ();
  JsonObject *values;
  JsonArray *user_set = NULL;
  g_autoptr (GList) members = NULL;

  if (object == NULL)
    return input;
  values = json_object_has_member (object, "values")
                   && JSON_NODE_HOLDS_OBJECT (json_object_get_member (object, "values"))
               ? json_object_get_object_member (object, "values")
               : NULL;
  if (json_object_has_member (object, "user_set")
      && JSON_NODE_HOLDS_ARRAY (json_object_get_member (object, "user_set")))
    user_set = json_object_get_array_member (object, "user_set");
  if (values == NULL)
    return input;
  members = json_object_get_members (values);
  for (GList *l = members; l != NULL; l = l->next)
    {
      gboolean set = user_set == NULL;

      for (guint i = 0; user_set != NULL && i < json_array_get_length (user_set); i++)
        {
          JsonNode *item = json_array_get_element (user_set, i);

          if (JSON_NODE_HOLDS_VALUE (item) && json_node_get_value_type (item) == G_TYPE_STRING
              && g_str_equal (json_node_get_string (item), l->data))
            set = TRUE;
        }
      cmdb_form_input_set (input, l->data,
                           json_node_copy (json_object_get_member (values, l->data)), set);
    }
  return input;
}

CmdbFormInput *
cmdb_form_input_copy (CmdbFormInput *input)
{
  CmdbFormInput *copy = cmdb_form_input_new ();
  g_autoptr (GList) members = json_object_get_members (input->values);

  for (GList *l = members; l != NULL; l = l->next)
    cmdb_form_input_set (copy, l->data,
                         json_node_copy (json_object_get_member (input->values, l->data)),
                         g_hash_table_contains (input->user_set, l->data));
  return copy;
}

void
cmdb_form_input_free (CmdbFormInput *input)
{
  if (input == NULL)
    return;
  json_object_unref (input->values);
  g_hash_table_unref (input->user_set);
  g_free (input);
}

void
cmdb_form_input_set (CmdbFormInput *input, const char *key, JsonNode *value, gboolean user_set)
{
  g_return_if_fail (input != NULL && key != NULL);

  if (value == NULL)
    {
      json_object_remove_member (input->values, key);
      g_hash_table_remove (input->user_set, key);
      return;
    }
  json_object_set_member (input->values, key, value);
  if (user_set)
    g_hash_table_add (input->user_set, g_strdup (key));
  else
    g_hash_table_remove (input->user_set, key);
}

JsonNode *
cmdb_form_input_get (CmdbFormInput *input, const char *key)
{
  g_return_val_if_fail (input != NULL, NULL);
  return json_object_has_member (input->values, key) ? json_object_get_member (input->values, key)
                                                     : NULL;
}

gboolean
cmdb_form_input_is_user_set (CmdbFormInput *input, const char *key)
{
  g_return_val_if_fail (input != NULL, FALSE);
  return g_hash_table_contains (input->user_set, key);
}

JsonNode *
cmdb_form_input_to_json (CmdbFormInput *input)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (GList) keys = g_hash_table_get_keys (input->user_set);

  keys = g_list_sort (keys, (GCompareFunc) strcmp);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "values");
  json_builder_add_value (builder, json_node_init_object (json_node_alloc (), input->values));
  json_builder_set_member_name (builder, "user_set");
  json_builder_begin_array (builder);
  for (GList *l = keys; l != NULL; l = l->next)
    json_builder_add_string_value (builder, l->data);
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

/* The closest key of @schema to @key, for "did you mean". */
static const char *
closest_key (CmdbSchema *schema, const char *key)
{
  const char *best = NULL;
  guint best_distance = G_MAXUINT;

  for (guint i = 0; i < cmdb_schema_get_n_elements (schema); i++)
    {
      const CmdbSchemaElement *element = cmdb_schema_get_element (schema, i);
      guint distance = cmdb_edit_distance (key, element->key);

      if (distance < best_distance)
        {
          best = element->key;
          best_distance = distance;
        }
    }
  return best;
}

static gboolean
element_is_integral (const CmdbSchemaElement *element)
{
  JsonNode *parts[] = { element->min_value, element->max_value, element->step };

  if (element->type == CMDB_ELEMENT_NUMBER_INPUT)
    return element->default_value == NULL
           || (JSON_NODE_HOLDS_VALUE (element->default_value)
               && json_node_get_value_type (element->default_value) == G_TYPE_INT64);
  for (gsize i = 0; i < G_N_ELEMENTS (parts); i++)
    if (parts[i] != NULL && json_node_get_value_type (parts[i]) != G_TYPE_INT64)
      return FALSE;
  return element->min_value != NULL && element->max_value != NULL;
}

/* A label of a label/value option becomes its value. */
static const char *
option_value_of (const CmdbSchemaElement *element, const char *text)
{
  if (element->options == NULL)
    return text;
  for (guint i = 0; i < element->options->len; i++)
    {
      CmdbSchemaOption *option = g_ptr_array_index (element->options, i);

      if (g_str_equal (option->value, text))
        return option->value;
    }
  for (guint i = 0; i < element->options->len; i++)
    {
      CmdbSchemaOption *option = g_ptr_array_index (element->options, i);

      if (g_str_equal (option->label, text))
        return option->value;
    }
  return text;
}

/* (transfer full): @text read as a checkbox's value (true/false, 1/0,
 * yes/no, on/off), or NULL with CMDB_FORM_ERROR_INVALID naming the field. */
static JsonNode *
boolean_from_text (const CmdbSchemaElement *element, const char *text, GError **error)
{
  if (g_ascii_strcasecmp (text, "true") == 0 || g_str_equal (text, "1")
      || g_ascii_strcasecmp (text, "yes") == 0 || g_ascii_strcasecmp (text, "on") == 0)
    return json_node_init_boolean (json_node_alloc (), TRUE);
  if (g_ascii_strcasecmp (text, "false") == 0 || g_str_equal (text, "0")
      || g_ascii_strcasecmp (text, "no") == 0 || g_ascii_strcasecmp (text, "off") == 0)
    return json_node_init_boolean (json_node_alloc (), FALSE);
  g_set_error (error, CMDB_FORM_ERROR, CMDB_FORM_ERROR_INVALID,
               "'%s' is a checkbox; give true or false", element->label);
  return NULL;
}

/* (transfer full): @text read as the number @element takes (a whole
 * number when it is integral), or NULL with CMDB_FORM_ERROR_INVALID naming
 * the field: the one reading of typed numbers (a CLI --set, a field of the
 * web UI's stored form). */
static JsonNode *
number_from_text (const CmdbSchemaElement *element, const char *text, GError **error)
{
  g_autofree char *trimmed = g_strstrip (g_strdup (text));
  char *end = NULL;
  double number = g_ascii_strtod (trimmed, &end);

  if (trimmed[0] == '\0' || end == NULL || *end != '\0' || isnan (number) || isinf (number))
    {
      g_set_error (error, CMDB_FORM_ERROR, CMDB_FORM_ERROR_INVALID, "'%s' needs a number",
                   element->label);
      return NULL;
    }
  if (element_is_integral (element))
    {
      if (fabs (number) > 9007199254740992.0 || number != (double) (gint64) number)
        {
          g_set_error (error, CMDB_FORM_ERROR, CMDB_FORM_ERROR_INVALID, "'%s' needs a whole number",
                       element->label);
          return NULL;
        }
      return json_node_init_int (json_node_alloc (), (gint64) number);
    }
  return json_node_init_double (json_node_alloc (), number);
}

gboolean
cmdb_form_input_set_text (CmdbFormInput *input, CmdbSchema *schema, const char *key,
                          const char *text, GError **error)
{
  const CmdbSchemaElement *element;
  JsonNode *value = NULL;

  g_return_val_if_fail (input != NULL && schema != NULL, FALSE);
  g_return_val_if_fail (key != NULL && text != NULL, FALSE);

  element = cmdb_schema_lookup (schema, key);
  if (element == NULL)
    {
      const char *suggestion = closest_key (schema, key);

      if (suggestion != NULL)
        g_set_error (error, CMDB_FORM_ERROR, CMDB_FORM_ERROR_UNKNOWN_KEY,
                     "unknown key '%s'; did you mean '%s'?", key, suggestion);
      else
        g_set_error (error, CMDB_FORM_ERROR, CMDB_FORM_ERROR_UNKNOWN_KEY, "unknown key '%s'", key);
      return FALSE;
    }

  switch (element->type)
    {
      case CMDB_ELEMENT_TEXT_INPUT:
        value = json_node_init_string (json_node_alloc (), text);
        break;
      case CMDB_ELEMENT_SELECTBOX:
        value = json_node_init_string (json_node_alloc (), option_value_of (element, text));
        break;
      case CMDB_ELEMENT_CHECKBOX:
        value = boolean_from_text (element, text, error);
        if (value == NULL)
          return FALSE;
        break;
      case CMDB_ELEMENT_SLIDER:
      case CMDB_ELEMENT_NUMBER_INPUT:
        value = number_from_text (element, text, error);
        if (value == NULL)
          return FALSE;
        break;
      case CMDB_ELEMENT_MULTISELECT:
        {
          g_autofree char *inner = g_strstrip (g_strdup (text));
          g_auto (GStrv) items = NULL;
          JsonArray *array = json_array_new ();
          gsize length = strlen (inner);

          if (length >= 2 && inner[0] == '[' && inner[length - 1] == ']')
            {
              inner[length - 1] = '\0';
              memmove (inner, inner + 1, length - 1);
            }
          items = g_strsplit (inner, ",", -1);
          for (guint i = 0; items[i] != NULL; i++)
            {
              char *item = g_strstrip (items[i]);

              if (item[0] != '\0')
                json_array_add_string_element (array, option_value_of (element, item));
            }
          value = json_node_init_array (json_node_alloc (), array);
          json_array_unref (array);
          break;
        }
      case CMDB_ELEMENT_INFO:
      case CMDB_ELEMENT_UNKNOWN:
      default:
        g_set_error (error, CMDB_FORM_ERROR, CMDB_FORM_ERROR_INVALID,
                     "'%s' is %s element and takes no value", element->label,
                     element->type == CMDB_ELEMENT_INFO ? "an info" : "an unsupported");
        return FALSE;
    }
  cmdb_form_input_set (input, key, value, TRUE);
  return TRUE;
}

/* ---- evaluation ---- */

struct _CmdbFormState
{
  gint ref_count;
  CmdbSchema *schema;
  GPtrArray *fields;   /* CmdbFieldState */
  GHashTable *by_key;  /* key -> field */
  JsonObject *values;  /* visible values */
  GPtrArray *messages; /* CmdbProblem */
  GPtrArray *problems; /* CmdbProblem */
  JsonObject *rules;   /* (nullable) the page's rule defaults */
  gboolean has_errors;
};

static void
field_free (gpointer data)
{
  CmdbFieldState *field = data;

  g_clear_pointer (&field->options, g_ptr_array_unref);
  g_clear_pointer (&field->value, json_node_unref);
  g_clear_pointer (&field->default_value, json_node_unref);
  g_free (field->help);
  g_ptr_array_unref (field->errors);
  g_ptr_array_unref (field->warnings);
  g_clear_pointer (&field->min, json_node_unref);
  g_clear_pointer (&field->max, json_node_unref);
  g_clear_pointer (&field->step, json_node_unref);
  g_free (field->info_text);
  g_free (field->architecture);
  g_free (field);
}

static void
option_free (gpointer data)
{
  CmdbSchemaOption *option = data;

  g_free (option->label);
  g_free (option->value);
  g_free (option->time);
  g_free (option);
}

static CmdbSchemaOption *
option_new (const char *label, const char *value)
{
  CmdbSchemaOption *option = g_new0 (CmdbSchemaOption, 1);

  option->label = g_strdup (label);
  option->value = g_strdup (value);
  return option;
}

static GPtrArray *
options_new (void)
{
  return g_ptr_array_new_with_free_func (option_free);
}

static gboolean
options_contain (GPtrArray *options, const char *value)
{
  for (guint i = 0; options != NULL && i < options->len; i++)
    if (g_str_equal (((CmdbSchemaOption *) g_ptr_array_index (options, i))->value, value))
      return TRUE;
  return FALSE;
}

static char *
options_join (GPtrArray *options)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < options->len; i++)
    {
      if (i > 0)
        g_string_append (out, ", ");
      g_string_append (out, ((CmdbSchemaOption *) g_ptr_array_index (options, i))->value);
    }
  return g_string_free (out, FALSE);
}

static char *
strings_join (GPtrArray *strings)
{
  g_ptr_array_add (strings, NULL);
  {
    char *joined = g_strjoinv (", ", (char **) strings->pdata);

    g_ptr_array_remove_index (strings, strings->len - 1);
    return joined;
  }
}

static gboolean
json_is_string (JsonNode *node)
{
  return node != NULL && JSON_NODE_HOLDS_VALUE (node)
         && json_node_get_value_type (node) == G_TYPE_STRING;
}

static gboolean
json_is_number (JsonNode *node)
{
  GType type;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return FALSE;
  type = json_node_get_value_type (node);
  return type == G_TYPE_INT64 || type == G_TYPE_DOUBLE;
}

static double
json_number (JsonNode *node)
{
  return json_node_get_value_type (node) == G_TYPE_INT64 ? (double) json_node_get_int (node)
                                                         : json_node_get_double (node);
}

/* "Empty": null, "" or an empty list; 0 and false are values. */
static gboolean
json_is_empty (JsonNode *node)
{
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (json_is_string (node))
    return json_node_get_string (node)[0] == '\0';
  if (JSON_NODE_HOLDS_ARRAY (node))
    return json_array_get_length (json_node_get_array (node)) == 0;
  return FALSE;
}

/* The text of a non-empty string value, else NULL. */
static const char *
json_nonempty_string (JsonNode *node)
{
  if (!json_is_string (node) || json_node_get_string (node)[0] == '\0')
    return NULL;
  return json_node_get_string (node);
}

typedef struct
{
  CmdbSchema *schema;
  CmdbContext *context;
  CmdbFormInput *input;
  CmdbFormFlags flags;
  CmdbFormState *state;
  GHashTable *collected; /* key -> JsonNode (borrowed from fields) or NULL when hidden */
  CmdbCatalog *architectures;
  CmdbCatalog *optimizers;
  JsonObject *rules; /* (nullable) the page's rule defaults */
} Evaluation;

static JsonNode *
lookup_collected (const char *name, gpointer user_data)
{
  Evaluation *evaluation = user_data;

  return g_hash_table_lookup (evaluation->collected, name);
}

static void
add_state_problem (Evaluation *evaluation, const CmdbSchemaElement *element, const char *yaml_key,
                   CmdbSeverity severity, const char *message)
{
  const CmdbYamlNode *node = cmdb_yaml_node_lookup (element->node, yaml_key);

  if (node == NULL)
    node = element->node;
  g_ptr_array_add (
      evaluation->state->problems,
      cmdb_problem_new (severity, cmdb_yaml_node_get_path (node), cmdb_yaml_node_get_line (node),
                        cmdb_yaml_node_get_column (node), element->key, "%s", message));
}

static void
field_error (Evaluation *evaluation, CmdbFieldState *field, const char *message)
{
  g_ptr_array_add (field->errors, g_strdup (message));
  g_ptr_array_add (
      evaluation->state->messages,
      cmdb_problem_new (CMDB_SEVERITY_ERROR, NULL, 0, 0, field->element->key, "%s", message));
  evaluation->state->has_errors = TRUE;
}

static void
field_warning (Evaluation *evaluation, CmdbFieldState *field, const char *message)
{
  g_ptr_array_add (field->warnings, g_strdup (message));
  g_ptr_array_add (
      evaluation->state->messages,
      cmdb_problem_new (CMDB_SEVERITY_WARNING, NULL, 0, 0, field->element->key, "%s", message));
}

static const CmdbYamlNode *
catalog_metadata (CmdbCatalog *catalog, const char *name)
{
  const CmdbCatalogItem *item;

  if (catalog == NULL || name == NULL)
    return NULL;
  item = cmdb_catalog_lookup (catalog, name);
  return item != NULL ? item->ui_metadata : NULL;
}

static const CmdbYamlNode *
metadata_at (const CmdbYamlNode *metadata, const char *dotted_path)
{
  const CmdbYamlNode *node;

  if (metadata == NULL || dotted_path == NULL)
    return NULL;
  node = cmdb_yaml_node_lookup_path (metadata, dotted_path);
  return node != NULL && !cmdb_yaml_node_is_null (node) ? node : NULL;
}

static void field_error (Evaluation *evaluation, CmdbFieldState *field, const char *message);

/* A source that cannot be listed (its registry is broken, disabled or
 * raised) is a located problem for check and the field's own error: the
 * form is invalid wherever it is shown, as `build` refuses it. */
static GPtrArray *
resolve_source_options (Evaluation *evaluation, CmdbFieldState *field)
{
  const CmdbSchemaElement *element = field->element;
  GPtrArray *options = options_new ();
  g_autoptr (CmdbOptionList) list = NULL;
  g_autoptr (GError) error = NULL;

  if (evaluation->context == NULL)
    return options;
  list = cmdb_context_get_options (evaluation->context, element->options_source, &error);
  if (list == NULL)
    {
      add_state_problem (evaluation, element, "options_source", CMDB_SEVERITY_ERROR,
                         error->message);
      field_error (evaluation, field, error->message);
      return options;
    }
  for (guint i = 0; i < list->entries->len; i++)
    {
      CmdbOptionEntry *entry = g_ptr_array_index (list->entries, i);
      JsonObject *metadata = cmdb_option_entry_get_display_metadata (entry);
      const char *label = NULL;
      CmdbSchemaOption *option;

      /* What a choice shows, and when it was made (a checkpoint's file
       * time), come from the source's entry; the value stays its name. */
      if (metadata != NULL)
        label = json_object_get_string_member_with_default (metadata, "label", NULL);
      option = option_new (label != NULL ? label : entry->name, entry->name);
      if (metadata != NULL)
        option->time
            = g_strdup (json_object_get_string_member_with_default (metadata, "modified", NULL));
      g_ptr_array_add (options, option);
    }
  return options;
}

static GPtrArray *
options_from_metadata (const CmdbYamlNode *node)
{
  GPtrArray *options = options_new ();

  if (cmdb_yaml_node_get_kind (node) == CMDB_YAML_NODE_MAPPING)
    for (guint i = 0; i < cmdb_yaml_node_get_n_children (node); i++)
      {
        const char *name = cmdb_yaml_node_get_scalar (cmdb_yaml_node_get_key_node (node, i));

        g_ptr_array_add (options, option_new (name, name));
      }
  else
    {
      g_autoptr (GPtrArray) strings = cmdb_metadata_to_strings (node);

      for (guint i = 0; i < strings->len; i++)
        g_ptr_array_add (
            options, option_new (g_ptr_array_index (strings, i), g_ptr_array_index (strings, i)));
    }
  return options;
}

static GPtrArray *
copy_options (GPtrArray *options)
{
  GPtrArray *copy = options_new ();

  for (guint i = 0; options != NULL && i < options->len; i++)
    {
      CmdbSchemaOption *option = g_ptr_array_index (options, i);

      CmdbSchemaOption *copied = option_new (option->label, option->value);

      copied->time = g_strdup (option->time);
      g_ptr_array_add (copy, copied);
    }
  return copy;
}

static char *
compose_help (const CmdbSchemaElement *element, const CmdbYamlNode *architecture_metadata,
              const CmdbYamlNode *optimizer_metadata)
{
  GPtrArray *parts = g_ptr_array_new_with_free_func (g_free);
  char *help;

  if (element->help != NULL && element->help[0] != '\0')
    g_ptr_array_add (parts, g_strdup (element->help));
  if (element->metadata_help_key != NULL)
    {
      char *text
          = cmdb_metadata_to_text (metadata_at (architecture_metadata, element->metadata_help_key));

      if (text[0] != '\0')
        g_ptr_array_add (parts, text);
      else
        g_free (text);
    }
  if (element->optimizer_help_key != NULL)
    {
      char *text
          = cmdb_metadata_to_text (metadata_at (optimizer_metadata, element->optimizer_help_key));

      if (text[0] != '\0')
        g_ptr_array_add (parts, text);
      else
        g_free (text);
    }
  if (parts->len == 0)
    {
      g_ptr_array_unref (parts);
      return NULL;
    }
  g_ptr_array_add (parts, NULL);
  help = g_strjoinv ("\n", (char **) parts->pdata);
  g_ptr_array_unref (parts);
  return help;
}

static JsonNode *
number_node (double value, gboolean integral)
{
  if (integral)
    return json_node_init_int (json_node_alloc (), (gint64) value);
  return json_node_init_double (json_node_alloc (), value);
}

/* The text a default reads as when matched against choices. */
static char *
default_text (JsonNode *node)
{
  if (node == NULL || JSON_NODE_HOLDS_NULL (node) || !JSON_NODE_HOLDS_VALUE (node))
    return g_strdup ("");
  return cmdb_format_scalar (node);
}

/* The default of a choice: matched against the values, then the labels,
 * else the first choice. */
static JsonNode *
choice_default (GPtrArray *options, JsonNode *default_value)
{
  g_autofree char *text = default_text (default_value);

  if (options_contain (options, text))
    return json_node_init_string (json_node_alloc (), text);
  for (guint i = 0; i < options->len; i++)
    {
      CmdbSchemaOption *option = g_ptr_array_index (options, i);

      if (g_str_equal (option->label, text))
        return json_node_init_string (json_node_alloc (), option->value);
    }
  return json_node_init_string (
      json_node_alloc (),
      options->len > 0 ? ((CmdbSchemaOption *) g_ptr_array_index (options, 0))->value : "");
}

static gboolean
json_truth (JsonNode *node)
{
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return FALSE;
  if (JSON_NODE_HOLDS_ARRAY (node))
    return json_array_get_length (json_node_get_array (node)) > 0;
  if (JSON_NODE_HOLDS_OBJECT (node))
    return json_object_get_size (json_node_get_object (node)) > 0;
  switch (json_node_get_value_type (node))
    {
      case G_TYPE_BOOLEAN:
        return json_node_get_boolean (node);
      case G_TYPE_INT64:
        return json_node_get_int (node) != 0;
      case G_TYPE_DOUBLE:
        return json_node_get_double (node) != 0.0;
      default:
        return json_node_get_string (node)[0] != '\0';
    }
}

/* The effective default of a non-choice element, in its type. */
static JsonNode *
typed_default (const CmdbSchemaElement *element, JsonNode *default_value, JsonNode *min,
               gboolean integral)
{
  switch (element->type)
    {
      case CMDB_ELEMENT_TEXT_INPUT:
        if (!json_truth (default_value))
          return json_node_init_string (json_node_alloc (), "");
        {
          g_autofree char *text = cmdb_format_scalar (default_value);

          return json_node_init_string (json_node_alloc (), text);
        }
      case CMDB_ELEMENT_CHECKBOX:
        return json_node_init_boolean (json_node_alloc (), json_truth (default_value));
      case CMDB_ELEMENT_SLIDER:
        if (json_is_number (default_value))
          return number_node (json_number (default_value), integral);
        if (min != NULL)
          return number_node (json_number (min), integral);
        return NULL;
      case CMDB_ELEMENT_NUMBER_INPUT:
        return json_is_number (default_value) ? json_node_copy (default_value) : NULL;
      default:
        return default_value != NULL ? json_node_copy (default_value) : NULL;
    }
}

/* Brings a submitted value to the element's type; NULL when it does not
 * fit (reported). */
static JsonNode *
coerce_value (Evaluation *evaluation, CmdbFieldState *field, JsonNode *submitted, gboolean integral)
{
  const CmdbSchemaElement *element = field->element;
  g_autofree char *message = NULL;

  if (submitted == NULL || JSON_NODE_HOLDS_NULL (submitted))
    return NULL;
  switch (element->type)
    {
      case CMDB_ELEMENT_TEXT_INPUT:
      case CMDB_ELEMENT_SELECTBOX:
        if (JSON_NODE_HOLDS_VALUE (submitted))
          {
            g_autofree char *text = cmdb_format_scalar (submitted);

            return json_node_init_string (json_node_alloc (), text);
          }
        break;
      case CMDB_ELEMENT_CHECKBOX:
        if (JSON_NODE_HOLDS_VALUE (submitted)
            && json_node_get_value_type (submitted) == G_TYPE_BOOLEAN)
          return json_node_copy (submitted);
        /* Text kept as typed (the web UI's stored form): read as --set. */
        if (JSON_NODE_HOLDS_VALUE (submitted)
            && json_node_get_value_type (submitted) == G_TYPE_STRING
            && (evaluation->flags & CMDB_FORM_KEEP_INVALID))
          {
            g_autoptr (GError) error = NULL;
            JsonNode *value = boolean_from_text (element, json_node_get_string (submitted), &error);

            if (value != NULL)
              return value;
            field_error (evaluation, field, error->message);
            return NULL;
          }
        break;
      case CMDB_ELEMENT_SLIDER:
      case CMDB_ELEMENT_NUMBER_INPUT:
        if (json_is_number (submitted))
          {
            double number = json_number (submitted);

            if (integral
                && (fabs (number) > 9007199254740992.0 || number != (double) (gint64) number))
              {
                message = g_strdup_printf ("'%s' must be a whole number.", element->label);
                field_error (evaluation, field, message);
                /* Kept as typed, so the user sees what to fix. */
                return (evaluation->flags & CMDB_FORM_KEEP_INVALID) ? json_node_copy (submitted)
                                                                    : NULL;
              }
            return number_node (number, integral);
          }
        /* Text as typed in the web UI's stored form: read as a CLI --set
         * reads it; text that is no number is an error, kept as typed. */
        if (JSON_NODE_HOLDS_VALUE (submitted)
            && json_node_get_value_type (submitted) == G_TYPE_STRING
            && (evaluation->flags & CMDB_FORM_KEEP_INVALID))
          {
            g_autoptr (GError) error = NULL;
            JsonNode *number = number_from_text (element, json_node_get_string (submitted), &error);

            if (number != NULL)
              return number;
            field_error (evaluation, field, error->message);
            return json_node_copy (submitted);
          }
        break;
      case CMDB_ELEMENT_MULTISELECT:
        if (JSON_NODE_HOLDS_ARRAY (submitted))
          {
            JsonArray *array = json_node_get_array (submitted);
            JsonArray *copy = json_array_new ();
            JsonNode *node;

            for (guint i = 0; i < json_array_get_length (array); i++)
              {
                JsonNode *item = json_array_get_element (array, i);
                g_autofree char *text = NULL;

                if (!JSON_NODE_HOLDS_VALUE (item))
                  {
                    json_array_unref (copy);
                    goto wrong;
                  }
                text = cmdb_format_scalar (item);
                json_array_add_string_element (copy, text);
              }
            node = json_node_init_array (json_node_alloc (), copy);
            json_array_unref (copy);
            return node;
          }
        break;
      default:
        return NULL;
    }
wrong:
  message = g_strdup_printf ("'%s' does not take a value of this kind; the default is used.",
                             element->label);
  field_warning (evaluation, field, message);
  return NULL;
}

static void
evaluate_info (Evaluation *evaluation, CmdbFieldState *field,
               const CmdbYamlNode *architecture_metadata)
{
  const CmdbSchemaElement *element = field->element;
  const CmdbYamlNode *node = metadata_at (architecture_metadata, element->metadata_info_key);
  g_autofree char *whole = NULL;

  if (node == NULL)
    {
      field->info_text = g_strdup (element->info_fallback);
      return;
    }
  field->value = cmdb_yaml_node_to_json (node);
  whole = cmdb_metadata_to_text (node);
  field->info_text = cmdb_fill_template (
      element->info_template,
      cmdb_yaml_node_get_kind (node) == CMDB_YAML_NODE_MAPPING ? node : NULL, whole);
}

static void
evaluate_element (Evaluation *evaluation, const CmdbSchemaElement *element)
{
  CmdbFieldState *field = g_new0 (CmdbFieldState, 1);
  const char *architecture;
  const char *optimizer;
  const CmdbYamlNode *architecture_metadata;
  const CmdbYamlNode *optimizer_metadata;
  g_autoptr (GPtrArray) unfiltered = NULL;
  g_autoptr (JsonNode) default_value = NULL;
  gboolean is_choice
      = element->type == CMDB_ELEMENT_SELECTBOX || element->type == CMDB_ELEMENT_MULTISELECT;
  gboolean integral = element_is_integral (element);
  gboolean bounds_from_optimizer = FALSE;
  JsonNode *submitted;
  gboolean self_architecture;

  field->element = element;
  field->errors = g_ptr_array_new_with_free_func (g_free);
  field->warnings = g_ptr_array_new_with_free_func (g_free);
  field->visible = TRUE;
  g_ptr_array_add (evaluation->state->fields, field);
  g_hash_table_insert (evaluation->state->by_key, element->key, field);

  /* Visibility first (it depends only on earlier elements): a hidden
   * element's value is null and it is not drawn, so its option source is not
   * listed. On a large workspace the hidden checkpoint picker alone is
   * 10,000 entries. */
  if (element->visible_if != NULL)
    field->visible = cmdb_expression_evaluate (element->visible_if, lookup_collected, evaluation);

  /* Choices: static, else the source. */
  if (is_choice)
    field->options = element->options != NULL ? copy_options (element->options)
                     : element->options_source != NULL && field->visible
                         ? resolve_source_options (evaluation, field)
                         : options_new ();

  /* The architecture whose metadata applies. */
  architecture = json_nonempty_string (
      g_hash_table_lookup (evaluation->collected, element->architecture_key));
  if (architecture == NULL)
    architecture = element->architecture_fallback;
  architecture_metadata = catalog_metadata (evaluation->architectures, architecture);
  field->architecture = g_strdup (architecture);

  if (is_choice && element->options_metadata_key != NULL)
    {
      const CmdbYamlNode *node = metadata_at (architecture_metadata, element->options_metadata_key);

      if (node != NULL)
        {
          g_ptr_array_unref (field->options);
          field->options = options_from_metadata (node);
        }
    }
  if (is_choice)
    unfiltered = copy_options (field->options);
  if (is_choice && element->filter_by_architecture_key != NULL)
    {
      g_autoptr (GPtrArray) allowed = cmdb_metadata_to_strings (
          metadata_at (architecture_metadata, element->filter_by_architecture_key));

      if (allowed->len > 0)
        {
          GPtrArray *filtered = options_new ();

          /* The order of the choices, not of the metadata list. */
          for (guint i = 0; i < field->options->len; i++)
            {
              CmdbSchemaOption *option = g_ptr_array_index (field->options, i);

              for (guint j = 0; j < allowed->len; j++)
                if (g_str_equal (option->value, g_ptr_array_index (allowed, j)))
                  {
                    g_ptr_array_add (filtered, option_new (option->label, option->value));
                    break;
                  }
            }
          if (filtered->len > 0)
            {
              g_ptr_array_unref (field->options);
              field->options = filtered;
            }
          else
            g_ptr_array_unref (filtered);
        }
    }
  if (element->type == CMDB_ELEMENT_SELECTBOX && field->options->len == 0)
    g_ptr_array_add (field->options, option_new ("", ""));

  /* Defaults: the architecture's metadata default wins over the optimizer's. */
  default_value = element->default_value != NULL ? json_node_copy (element->default_value) : NULL;
  if (element->metadata_default_key != NULL)
    {
      const CmdbYamlNode *node = metadata_at (architecture_metadata, element->metadata_default_key);

      if (node != NULL)
        {
          g_clear_pointer (&default_value, json_node_unref);
          default_value = cmdb_yaml_node_to_json (node);
        }
    }

  optimizer
      = json_nonempty_string (g_hash_table_lookup (evaluation->collected, element->optimizer_key));
  if (optimizer == NULL)
    optimizer = element->optimizer_fallback;
  optimizer_metadata = catalog_metadata (evaluation->optimizers, optimizer);

  field->min = element->min_value != NULL ? json_node_copy (element->min_value) : NULL;
  field->max = element->max_value != NULL ? json_node_copy (element->max_value) : NULL;
  field->step = element->step != NULL ? json_node_copy (element->step) : NULL;
  if (element->optimizer_metadata_key != NULL)
    {
      const CmdbYamlNode *node = metadata_at (optimizer_metadata, element->optimizer_metadata_key);

      if (node != NULL && cmdb_yaml_node_get_kind (node) == CMDB_YAML_NODE_MAPPING)
        {
          const char *parts[] = { "min", "max", "step" };
          JsonNode **targets[] = { &field->min, &field->max, &field->step };
          const CmdbYamlNode *optimizer_default = metadata_at (node, "default");
          double number;

          for (gsize i = 0; i < G_N_ELEMENTS (parts); i++)
            {
              const CmdbYamlNode *part = metadata_at (node, parts[i]);

              if (part != NULL && cmdb_yaml_node_get_double (part, &number))
                {
                  g_clear_pointer (targets[i], json_node_unref);
                  *targets[i] = cmdb_yaml_node_to_json (part);
                  if (i < 2)
                    bounds_from_optimizer = TRUE;
                }
            }
          integral = integral && field->min != NULL
                     && json_node_get_value_type (field->min) == G_TYPE_INT64;
          if (optimizer_default != NULL && cmdb_yaml_node_get_double (optimizer_default, &number)
              && (element->metadata_default_key == NULL
                  || metadata_at (architecture_metadata, element->metadata_default_key) == NULL))
            {
              g_clear_pointer (&default_value, json_node_unref);
              default_value = cmdb_yaml_node_to_json (optimizer_default);
            }
        }
    }
  /* The optimizer still bounds an architecture default. */
  if (json_is_number (default_value) && field->min != NULL && json_is_number (field->min)
      && json_number (default_value) < json_number (field->min))
    {
      g_clear_pointer (&default_value, json_node_unref);
      default_value = json_node_copy (field->min);
    }
  if (json_is_number (default_value) && field->max != NULL && json_is_number (field->max)
      && json_number (default_value) > json_number (field->max))
    {
      g_clear_pointer (&default_value, json_node_unref);
      default_value = json_node_copy (field->max);
    }

  field->help = compose_help (element, architecture_metadata, optimizer_metadata);

  /* Effective default in the element's type. */
  if (element->type == CMDB_ELEMENT_SELECTBOX)
    field->default_value = choice_default (field->options, default_value);
  else if (element->type == CMDB_ELEMENT_MULTISELECT)
    {
      JsonArray *array = json_array_new ();

      if (default_value != NULL && JSON_NODE_HOLDS_ARRAY (default_value))
        for (guint i = 0; i < json_array_get_length (json_node_get_array (default_value)); i++)
          {
            g_autofree char *text
                = default_text (json_array_get_element (json_node_get_array (default_value), i));

            if (options_contain (field->options, text))
              json_array_add_string_element (array, text);
          }
      field->default_value = json_node_init_array (json_node_alloc (), array);
      json_array_unref (array);
    }
  else if (element->type == CMDB_ELEMENT_SLIDER && (field->min == NULL || field->max == NULL))
    {
      g_autofree char *message
          = g_strdup_printf ("Missing min/max for slider '%s'.", element->label);

      field->default_value = default_value != NULL ? json_node_copy (default_value) : NULL;
      field_warning (evaluation, field, message);
    }
  else if (element->type != CMDB_ELEMENT_INFO && element->type != CMDB_ELEMENT_UNKNOWN)
    field->default_value = typed_default (element, default_value, field->min, integral);

  /* The value. */
  if (element->type == CMDB_ELEMENT_INFO)
    evaluate_info (evaluation, field, architecture_metadata);
  else if (element->type != CMDB_ELEMENT_UNKNOWN)
    {
      submitted = evaluation->input != NULL
                          && cmdb_form_input_is_user_set (evaluation->input, element->key)
                      ? cmdb_form_input_get (evaluation->input, element->key)
                      : NULL;
      if (submitted != NULL)
        {
          g_autoptr (JsonNode) value = coerce_value (evaluation, field, submitted, integral);
          gboolean keep = value != NULL;

          if (value != NULL && element->type == CMDB_ELEMENT_SELECTBOX
              && !options_contain (field->options, json_node_get_string (value)))
            keep = FALSE;
          if (value != NULL && element->type == CMDB_ELEMENT_MULTISELECT)
            for (guint i = 0; i < json_array_get_length (json_node_get_array (value)); i++)
              if (!options_contain (field->options,
                                    json_array_get_string_element (json_node_get_array (value), i)))
                keep = FALSE;
          if (!keep && value != NULL && field->visible)
            {
              g_autofree char *text = cmdb_format_scalar (value);
              g_autofree char *choices = options_join (field->options);
              gboolean narrowed = FALSE;

              if (element->type == CMDB_ELEMENT_SELECTBOX)
                narrowed = options_contain (unfiltered, json_node_get_string (value));
              if ((evaluation->flags & CMDB_FORM_KEEP_INVALID)
                  && !(narrowed && (evaluation->flags & CMDB_FORM_FOLLOW_ARCHITECTURE)))
                {
                  g_autofree char *message = NULL;

                  keep = TRUE;
                  /* A choice the architecture filtered out is for the
                   * cross-field checks to judge (error or warning). */
                  if (!narrowed)
                    {
                      message = g_strdup_printf ("'%s' has no option '%s'. Options: %s",
                                                 element->label, text, choices);
                      field_error (evaluation, field, message);
                    }
                  else if (element->filter_by_architecture_key != NULL
                           && cmdb_form_rule_get (element, evaluation->rules,
                                                  CMDB_RULE_INCOMPATIBLE_MESSAGE)
                                  == NULL)
                    {
                      message = g_strdup_printf ("'%s' value '%s' is not listed for '%s' "
                                                 "architecture.",
                                                 element->label, text, architecture);
                      field_warning (evaluation, field, message);
                    }
                }
              else
                {
                  g_autofree char *fallback = cmdb_format_scalar (field->default_value);
                  g_autofree char *message = NULL;

                  if (narrowed)
                    message = g_strdup_printf ("'%s': '%s' is not available for '%s' "
                                               "architecture; using '%s'.",
                                               element->label, text, architecture, fallback);
                  else
                    message = g_strdup_printf ("'%s' has no option '%s'; using '%s'.",
                                               element->label, text, fallback);
                  field_warning (evaluation, field, message);
                }
            }
          if (keep && value != NULL && json_is_number (value) && field->visible
              && ((field->min != NULL && json_number (value) < json_number (field->min))
                  || (field->max != NULL && json_number (value) > json_number (field->max))))
            {
              g_autofree char *low = field->min != NULL ? cmdb_format_scalar (field->min) : NULL;
              g_autofree char *high = field->max != NULL ? cmdb_format_scalar (field->max) : NULL;
              g_autofree char *rule = NULL;
              g_autofree char *message = NULL;

              if (low != NULL && high != NULL)
                rule = g_strdup_printf ("must be between %s and %s", low, high);
              else if (low != NULL)
                rule = g_strdup_printf ("must be >= %s", low);
              else
                rule = g_strdup_printf ("must be <= %s", high);
              if (!(evaluation->flags & CMDB_FORM_KEEP_INVALID))
                {
                  keep = FALSE;
                  message = g_strdup_printf ("'%s' %s; the default is used.", element->label, rule);
                  field_warning (evaluation, field, message);
                }
              else if (!bounds_from_optimizer)
                {
                  message = g_strdup_printf ("'%s' %s.", element->label, rule);
                  field_error (evaluation, field, message);
                }
            }
          if (keep)
            {
              field->value = g_steal_pointer (&value);
              field->user_set = TRUE;
            }
        }
      if (field->value == NULL && field->default_value != NULL)
        field->value = json_node_copy (field->default_value);
    }

  /* The architecture element's own help follows its selection. */
  self_architecture = g_str_equal (element->key, element->architecture_key);
  if (self_architecture && json_nonempty_string (field->value) != NULL)
    {
      const char *selected = json_node_get_string (field->value);
      const CmdbYamlNode *selected_metadata
          = catalog_metadata (evaluation->architectures, selected);

      g_free (field->help);
      field->help = compose_help (element, selected_metadata, optimizer_metadata);
      g_free (field->architecture);
      field->architecture = g_strdup (selected);
    }

  if (!field->visible)
    g_clear_pointer (&field->value, json_node_unref);
  g_hash_table_insert (evaluation->collected, element->key, field->value);
  if (field->visible && field->value != NULL && element->type != CMDB_ELEMENT_INFO)
    json_object_set_member (evaluation->state->values, element->key, json_node_copy (field->value));
}

/* ---- validation (§2.7 of the original's spec, same messages) ---- */

static void
validate_element (Evaluation *evaluation, CmdbFieldState *field)
{
  const CmdbSchemaElement *element = field->element;
  const CmdbSchemaValidation *rules = &element->validation;
  JsonNode *value = field->value;
  gboolean empty = json_is_empty (value);
  gboolean required_reported = FALSE;
  g_autofree char *message = NULL;

  if (element->type == CMDB_ELEMENT_INFO || element->type == CMDB_ELEMENT_UNKNOWN)
    return;
  if (rules->required_if != NULL && empty
      && cmdb_expression_evaluate (rules->required_if, lookup_collected, evaluation))
    {
      message = g_strdup_printf ("'%s' is required.", element->label);
      field_error (evaluation, field, message);
      required_reported = TRUE;
    }
  if (rules->required && empty)
    {
      /* One message even when required_if said the same. */
      if (!required_reported)
        {
          g_clear_pointer (&message, g_free);
          message = g_strdup_printf ("'%s' is required.", element->label);
          field_error (evaluation, field, message);
        }
      return;
    }
  if (empty)
    return;
  /* What runs must be what is shown: no terminal escapes, carriage returns
   * or bidirectional overrides in a value typed as text. */
  if (element->type == CMDB_ELEMENT_TEXT_INPUT && json_is_string (value)
      && cmdb_text_find_unsafe (json_node_get_string (value)) != NULL)
    {
      g_autofree char *what
          = cmdb_text_describe_unsafe (cmdb_text_find_unsafe (json_node_get_string (value)));

      message = g_strdup_printf ("'%s' contains %s; only plain text is accepted.", element->label,
                                 what);
      field_error (evaluation, field, message);
    }
  if (rules->min_length >= 0 && json_is_string (value)
      && g_utf8_strlen (json_node_get_string (value), -1) < rules->min_length)
    {
      g_clear_pointer (&message, g_free);
      message = g_strdup_printf ("'%s' must be at least %" G_GINT64_FORMAT " characters long.",
                                 element->label, rules->min_length);
      field_error (evaluation, field, message);
    }
  if (!json_is_number (value))
    return;
  if (rules->has_min && json_number (value) < rules->min)
    {
      g_clear_pointer (&message, g_free);
      message = g_strdup_printf ("'%s' must be >= %s.", element->label, rules->min_text);
      field_error (evaluation, field, message);
    }
  if (rules->has_max && json_number (value) > rules->max)
    {
      g_clear_pointer (&message, g_free);
      message = g_strdup_printf ("'%s' must be <= %s.", element->label, rules->max_text);
      field_error (evaluation, field, message);
    }
  if (rules->has_range
      && (json_number (value) < rules->range_low || json_number (value) > rules->range_high))
    {
      g_clear_pointer (&message, g_free);
      message = g_strdup_printf ("'%s' must be between %s and %s.", element->label,
                                 rules->range_low_text, rules->range_high_text);
      field_error (evaluation, field, message);
    }
}

static JsonNode *
collected_value (Evaluation *evaluation, const char *key)
{
  return g_hash_table_lookup (evaluation->collected, key);
}

static void
cross_field_error (Evaluation *evaluation, const char *key, gboolean is_error, const char *message)
{
  CmdbFieldState *field = g_hash_table_lookup (evaluation->state->by_key, key);

  if (field != NULL)
    {
      if (is_error)
        field_error (evaluation, field, message);
      else
        field_warning (evaluation, field, message);
      return;
    }
  g_ptr_array_add (evaluation->state->messages,
                   cmdb_problem_new (is_error ? CMDB_SEVERITY_ERROR : CMDB_SEVERITY_WARNING, NULL,
                                     0, 0, key, "%s", message));
  if (is_error)
    evaluation->state->has_errors = TRUE;
}

/* The incompatible_message rule: a selection outside the list its
 * incompatible_list (default: filter_by_architecture_key) names in the
 * selected architecture's metadata. */
static void
check_compatible (Evaluation *evaluation, CmdbFieldState *field)
{
  const CmdbSchemaElement *element = field->element;
  const char *message_template
      = cmdb_form_rule_get_string (element, evaluation->rules, CMDB_RULE_INCOMPATIBLE_MESSAGE);
  const char *list
      = cmdb_form_rule_get_string (element, evaluation->rules, CMDB_RULE_INCOMPATIBLE_LIST);
  const char *severity
      = cmdb_form_rule_get_string (element, evaluation->rules, CMDB_RULE_INCOMPATIBLE_SEVERITY);
  const char *architecture
      = json_nonempty_string (collected_value (evaluation, element->architecture_key));
  const char *selection = json_nonempty_string (field->value);
  g_autoptr (GPtrArray) compatible = NULL;
  g_autofree char *joined = NULL;
  g_autofree char *message = NULL;

  if (list == NULL)
    list = element->filter_by_architecture_key;
  if (message_template == NULL || list == NULL || architecture == NULL || selection == NULL)
    return;
  compatible = cmdb_metadata_to_strings (
      metadata_at (catalog_metadata (evaluation->architectures, architecture), list));
  if (compatible->len == 0)
    return;
  for (guint j = 0; j < compatible->len; j++)
    if (g_str_equal (g_ptr_array_index (compatible, j), selection))
      return;
  joined = strings_join (compatible);
  message = cmdb_form_rule_fill (message_template,
                                 (const char *const[]){ "value", selection, "architecture",
                                                        architecture, "compatible", joined, "label",
                                                        element->label, NULL });
  cross_field_error (evaluation, element->key, g_strcmp0 (severity, "warning") != 0, message);
}

/* The optimizer_bounds_message rule: a number outside the min/max of the
 * selected optimizer's optimizer_metadata_key map. */
static void
check_optimizer_bounds (Evaluation *evaluation, CmdbFieldState *field)
{
  const CmdbSchemaElement *element = field->element;
  const char *message_template
      = cmdb_form_rule_get_string (element, evaluation->rules, CMDB_RULE_OPTIMIZER_BOUNDS_MESSAGE);
  const char *optimizer
      = json_nonempty_string (collected_value (evaluation, element->optimizer_key));
  const CmdbYamlNode *metadata;
  const char *sides[] = { "min", "max" };

  if (message_template == NULL || element->optimizer_metadata_key == NULL || optimizer == NULL
      || !json_is_number (field->value))
    return;
  metadata = metadata_at (catalog_metadata (evaluation->optimizers, optimizer),
                          element->optimizer_metadata_key);
  for (gsize i = 0; i < G_N_ELEMENTS (sides); i++)
    {
      const CmdbYamlNode *bound_node = metadata_at (metadata, sides[i]);
      double bound;
      g_autoptr (JsonNode) node = NULL;
      g_autofree char *text = NULL;
      g_autofree char *rule = NULL;
      g_autofree char *message = NULL;

      if (bound_node == NULL || !cmdb_yaml_node_get_double (bound_node, &bound)
          || (i == 0 ? json_number (field->value) >= bound : json_number (field->value) <= bound))
        continue;
      node = cmdb_yaml_node_to_json (bound_node);
      text = cmdb_format_scalar (node);
      rule = g_strdup_printf ("%s %s", i == 0 ? ">=" : "<=", text);
      message = cmdb_form_rule_fill (message_template,
                                     (const char *const[]){ "rule", rule, "optimizer", optimizer,
                                                            "label", element->label, NULL });
      cross_field_error (evaluation, element->key, TRUE, message);
    }
}

/* The cross-field rules, in element order, after every element's own. */
static void
validate_across (Evaluation *evaluation)
{
  for (guint i = 0; i < evaluation->state->fields->len; i++)
    {
      CmdbFieldState *field = g_ptr_array_index (evaluation->state->fields, i);

      if (!field->visible)
        continue;
      check_compatible (evaluation, field);
      check_optimizer_bounds (evaluation, field);
    }
}

CmdbFormState *
cmdb_form_evaluate (CmdbSchema *schema, CmdbContext *context, CmdbFormInput *input,
                    CmdbFormFlags flags)
{
  return cmdb_form_evaluate_with_rules (schema, context, input, flags, NULL);
}

CmdbFormState *
cmdb_form_evaluate_with_rules (CmdbSchema *schema, CmdbContext *context, CmdbFormInput *input,
                               CmdbFormFlags flags, JsonObject *rules)
{
  Evaluation evaluation = { 0 };
  CmdbFormState *state;

  g_return_val_if_fail (schema != NULL, NULL);

  state = g_new0 (CmdbFormState, 1);
  state->ref_count = 1;
  state->schema = cmdb_schema_ref (schema);
  state->fields = g_ptr_array_new_with_free_func (field_free);
  state->by_key = g_hash_table_new (g_str_hash, g_str_equal);
  state->values = json_object_new ();
  state->messages = g_ptr_array_new_with_free_func ((GDestroyNotify) cmdb_problem_free);
  state->problems = g_ptr_array_new_with_free_func ((GDestroyNotify) cmdb_problem_free);
  state->rules = rules != NULL ? json_object_ref (rules) : NULL;

  evaluation.schema = schema;
  evaluation.rules = rules;
  evaluation.context = context;
  evaluation.input = input;
  evaluation.flags = flags;
  evaluation.state = state;
  evaluation.collected = g_hash_table_new (g_str_hash, g_str_equal);
  if (context != NULL)
    {
      g_autoptr (GError) error = NULL;

      evaluation.architectures = cmdb_context_get_architectures (context, &error);
      if (evaluation.architectures == NULL)
        g_ptr_array_add (state->problems,
                         cmdb_schema_problem_from_error (error, NULL, "models.architectures"));
      g_clear_error (&error);
      evaluation.optimizers = cmdb_context_get_optimizers (context, &error);
      if (evaluation.optimizers == NULL)
        g_ptr_array_add (state->problems,
                         cmdb_schema_problem_from_error (error, NULL, "models.optimizers"));
    }

  for (guint i = 0; i < cmdb_schema_get_n_elements (schema); i++)
    evaluate_element (&evaluation, cmdb_schema_get_element (schema, i));
  for (guint i = 0; i < state->fields->len; i++)
    {
      CmdbFieldState *field = g_ptr_array_index (state->fields, i);

      /* A hidden element cannot be filled in, so its rules do not apply. */
      if (field->visible)
        validate_element (&evaluation, field);
    }
  validate_across (&evaluation);

  g_hash_table_unref (evaluation.collected);
  g_clear_pointer (&evaluation.architectures, cmdb_catalog_unref);
  g_clear_pointer (&evaluation.optimizers, cmdb_catalog_unref);
  return state;
}

CmdbFormState *
cmdb_form_state_ref (CmdbFormState *state)
{
  g_return_val_if_fail (state != NULL, NULL);
  state->ref_count++;
  return state;
}

void
cmdb_form_state_unref (CmdbFormState *state)
{
  if (state == NULL || --state->ref_count > 0)
    return;
  g_ptr_array_unref (state->fields);
  g_hash_table_unref (state->by_key);
  json_object_unref (state->values);
  g_ptr_array_unref (state->messages);
  g_ptr_array_unref (state->problems);
  g_clear_pointer (&state->rules, json_object_unref);
  cmdb_schema_unref (state->schema);
  g_free (state);
}

JsonNode *
cmdb_form_state_get_rule (CmdbFormState *state, const char *key, const char *name)
{
  const CmdbFieldState *field;

  g_return_val_if_fail (state != NULL && key != NULL && name != NULL, NULL);

  field = g_hash_table_lookup (state->by_key, key);
  return field != NULL ? cmdb_form_rule_get (field->element, state->rules, name) : NULL;
}

const char *
cmdb_form_state_find_role (CmdbFormState *state, const char *role)
{
  g_return_val_if_fail (state != NULL && role != NULL, NULL);

  for (guint i = 0; i < state->fields->len; i++)
    {
      CmdbFieldState *field = g_ptr_array_index (state->fields, i);

      if (g_strcmp0 (cmdb_form_rule_get_string (field->element, state->rules, CMDB_RULE_ROLE), role)
          == 0)
        return field->element->key;
    }
  return NULL;
}

void
cmdb_form_state_add_message (CmdbFormState *state, CmdbSeverity severity, const char *key,
                             const char *message)
{
  CmdbFieldState *field;

  g_return_if_fail (state != NULL && message != NULL);

  field = key != NULL ? g_hash_table_lookup (state->by_key, key) : NULL;
  if (field != NULL)
    g_ptr_array_add (severity == CMDB_SEVERITY_ERROR ? field->errors : field->warnings,
                     g_strdup (message));
  g_ptr_array_add (state->messages, cmdb_problem_new (severity, NULL, 0, 0, key, "%s", message));
  if (severity == CMDB_SEVERITY_ERROR)
    state->has_errors = TRUE;
}

CmdbSchema *
cmdb_form_state_get_schema (CmdbFormState *state)
{
  return state->schema;
}

guint
cmdb_form_state_get_n_fields (CmdbFormState *state)
{
  return state->fields->len;
}

const CmdbFieldState *
cmdb_form_state_get_field (CmdbFormState *state, guint index)
{
  g_return_val_if_fail (index < state->fields->len, NULL);
  return g_ptr_array_index (state->fields, index);
}

const CmdbFieldState *
cmdb_form_state_lookup (CmdbFormState *state, const char *key)
{
  return g_hash_table_lookup (state->by_key, key);
}

JsonObject *
cmdb_form_state_get_values (CmdbFormState *state)
{
  return state->values;
}

GPtrArray *
cmdb_form_state_get_messages (CmdbFormState *state)
{
  return state->messages;
}

gboolean
cmdb_form_state_has_errors (CmdbFormState *state)
{
  return state->has_errors;
}

GPtrArray *
cmdb_form_state_get_problems (CmdbFormState *state)
{
  return state->problems;
}

static void
add_node_member (JsonBuilder *builder, const char *name, JsonNode *node)
{
  json_builder_set_member_name (builder, name);
  if (node != NULL)
    json_builder_add_value (builder, json_node_copy (node));
  else
    json_builder_add_null_value (builder);
}

static void
add_string_member (JsonBuilder *builder, const char *name, const char *text)
{
  json_builder_set_member_name (builder, name);
  if (text != NULL)
    json_builder_add_string_value (builder, text);
  else
    json_builder_add_null_value (builder);
}

static void
add_strings_member (JsonBuilder *builder, const char *name, GPtrArray *strings)
{
  json_builder_set_member_name (builder, name);
  json_builder_begin_array (builder);
  for (guint i = 0; strings != NULL && i < strings->len; i++)
    json_builder_add_string_value (builder, g_ptr_array_index (strings, i));
  json_builder_end_array (builder);
}

static void
add_messages_member (JsonBuilder *builder, const char *name, GPtrArray *problems,
                     CmdbSeverity severity)
{
  json_builder_set_member_name (builder, name);
  json_builder_begin_array (builder);
  for (guint i = 0; i < problems->len; i++)
    {
      CmdbProblem *problem = g_ptr_array_index (problems, i);

      if (problem->severity != severity)
        continue;
      json_builder_begin_object (builder);
      add_string_member (builder, "key", problem->subject);
      add_string_member (builder, "message", problem->message);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
}

JsonNode *
cmdb_form_state_to_json (CmdbFormState *state)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  g_return_val_if_fail (state != NULL, NULL);

  json_builder_begin_object (builder);
  add_string_member (builder, "title", cmdb_schema_get_title (state->schema));
  json_builder_set_member_name (builder, "valid");
  json_builder_add_boolean_value (builder, !state->has_errors);
  json_builder_set_member_name (builder, "fields");
  json_builder_begin_array (builder);
  for (guint i = 0; i < state->fields->len; i++)
    {
      CmdbFieldState *field = g_ptr_array_index (state->fields, i);
      const CmdbSchemaElement *element = field->element;

      json_builder_begin_object (builder);
      add_string_member (builder, "key", element->key);
      add_string_member (builder, "type", element->type_name);
      add_string_member (builder, "label", element->label);
      add_string_member (builder, "help", field->help);
      json_builder_set_member_name (builder, "visible");
      json_builder_add_boolean_value (builder, field->visible);
      json_builder_set_member_name (builder, "options");
      if (field->options != NULL)
        {
          json_builder_begin_array (builder);
          for (guint j = 0; j < field->options->len; j++)
            {
              CmdbSchemaOption *option = g_ptr_array_index (field->options, j);

              json_builder_begin_object (builder);
              add_string_member (builder, "label", option->label);
              add_string_member (builder, "value", option->value);
              if (option->time != NULL)
                add_string_member (builder, "time", option->time);
              json_builder_end_object (builder);
            }
          json_builder_end_array (builder);
        }
      else
        json_builder_add_null_value (builder);
      add_node_member (builder, "value", field->value);
      add_node_member (builder, "default", field->default_value);
      json_builder_set_member_name (builder, "user_set");
      json_builder_add_boolean_value (builder, field->user_set);
      add_strings_member (builder, "errors", field->errors);
      add_strings_member (builder, "warnings", field->warnings);
      add_node_member (builder, "min", field->min);
      add_node_member (builder, "max", field->max);
      add_node_member (builder, "step", field->step);
      add_string_member (builder, "format", element->format);
      add_string_member (builder, "info", field->info_text);
      add_string_member (builder, "architecture", field->architecture);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "values");
  json_builder_add_value (builder, json_node_init_object (json_node_alloc (), state->values));
  add_messages_member (builder, "errors", state->messages, CMDB_SEVERITY_ERROR);
  add_messages_member (builder, "warnings", state->messages, CMDB_SEVERITY_WARNING);
  json_builder_set_member_name (builder, "problems");
  json_builder_begin_array (builder);
  for (guint i = 0; i < state->problems->len; i++)
    {
      g_autofree char *text = cmdb_problem_to_string (g_ptr_array_index (state->problems, i));

      json_builder_add_string_value (builder, text);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

/* ---- use cases (§6) ---- */

void
cmdb_use_case_free (CmdbUseCase *use_case)
{
  if (use_case == NULL)
    return;
  g_free (use_case->id);
  g_free (use_case->title);
  g_free (use_case->description);
  g_free (use_case->architecture);
  if (use_case->parameters != NULL)
    json_object_unref (use_case->parameters);
  g_free (use_case);
}

static char *
scalar_or (const CmdbYamlNode *map, const char *key, const char *fallback)
{
  const CmdbYamlNode *node = cmdb_yaml_node_lookup (map, key);

  if (node == NULL || cmdb_yaml_node_is_null (node)
      || cmdb_yaml_node_get_kind (node) != CMDB_YAML_NODE_SCALAR)
    return g_strdup (fallback);
  return g_strdup (cmdb_yaml_node_get_scalar (node));
}

static void
add_use_cases (GPtrArray *use_cases, const CmdbCatalogItem *item, gboolean first_only)
{
  const CmdbYamlNode *list = metadata_at (item->ui_metadata, "use_cases");

  if (list == NULL || cmdb_yaml_node_get_kind (list) != CMDB_YAML_NODE_SEQUENCE)
    return;
  for (guint i = 0; i < cmdb_yaml_node_get_n_children (list); i++)
    {
      const CmdbYamlNode *node = cmdb_yaml_node_get_item (list, i);
      const CmdbYamlNode *recommendations;
      CmdbUseCase *use_case;

      if (cmdb_yaml_node_get_kind (node) != CMDB_YAML_NODE_MAPPING)
        continue;
      use_case = g_new0 (CmdbUseCase, 1);
      use_case->id = scalar_or (node, "id", item->name);
      use_case->title = scalar_or (node, "title", "Suggested setup");
      use_case->description = scalar_or (node, "description", "");
      use_case->parameters = json_object_new ();
      recommendations = cmdb_yaml_node_lookup (node, "recommendations");
      if (recommendations != NULL
          && cmdb_yaml_node_get_kind (recommendations) == CMDB_YAML_NODE_MAPPING)
        for (guint j = 0; j < cmdb_yaml_node_get_n_children (recommendations); j++)
          {
            const char *key
                = cmdb_yaml_node_get_scalar (cmdb_yaml_node_get_key_node (recommendations, j));
            const CmdbYamlNode *value = cmdb_yaml_node_get_value_node (recommendations, j);

            if (cmdb_yaml_node_is_null (value)
                || (cmdb_yaml_node_get_kind (value) == CMDB_YAML_NODE_SCALAR
                    && cmdb_yaml_node_get_scalar (value)[0] == '\0'))
              continue;
            json_object_set_member (use_case->parameters, key, cmdb_yaml_node_to_json (value));
          }
      use_case->architecture
          = json_object_has_member (use_case->parameters, "architecture")
                    && json_is_string (
                        json_object_get_member (use_case->parameters, "architecture"))
                ? g_strdup (json_object_get_string_member (use_case->parameters, "architecture"))
                : g_strdup (item->name);
      g_ptr_array_add (use_cases, use_case);
      if (first_only)
        return;
    }
}

GPtrArray *
cmdb_list_use_cases (CmdbContext *context, const char *architecture)
{
  GPtrArray *use_cases = g_ptr_array_new_with_free_func ((GDestroyNotify) cmdb_use_case_free);
  g_autoptr (CmdbCatalog) catalog = NULL;
  const CmdbCatalogItem *item;

  g_return_val_if_fail (CMDB_IS_CONTEXT (context), use_cases);

  catalog = cmdb_context_get_architectures (context, NULL);
  if (catalog == NULL)
    return use_cases;
  item = architecture != NULL ? cmdb_catalog_lookup (catalog, architecture) : NULL;
  if (item != NULL)
    {
      add_use_cases (use_cases, item, FALSE);
      return use_cases;
    }
  for (guint i = 0; i < cmdb_catalog_get_n_items (catalog); i++)
    add_use_cases (use_cases, cmdb_catalog_get_item (catalog, i), TRUE);
  return use_cases;
}

JsonObject *
cmdb_use_case_to_json (const CmdbUseCase *use_case)
{
  JsonObject *object = json_object_new ();

  json_object_set_string_member (object, "id", use_case->id);
  json_object_set_string_member (object, "title", use_case->title);
  json_object_set_string_member (object, "description", use_case->description);
  json_object_set_string_member (object, "architecture", use_case->architecture);
  json_object_set_object_member (object, "parameters", json_object_ref (use_case->parameters));
  return object;
}

void
cmdb_form_input_apply_use_case (CmdbFormInput *input, CmdbSchema *schema,
                                const CmdbUseCase *use_case)
{
  g_autoptr (GList) members = NULL;

  g_return_if_fail (input != NULL && schema != NULL && use_case != NULL);

  members = json_object_get_members (use_case->parameters);
  for (GList *l = members; l != NULL; l = l->next)
    {
      const CmdbSchemaElement *element = cmdb_schema_lookup (schema, l->data);
      JsonNode *value = json_object_get_member (use_case->parameters, l->data);

      if (element == NULL)
        continue;
      if (element->type == CMDB_ELEMENT_SELECTBOX && JSON_NODE_HOLDS_VALUE (value))
        {
          /* Matched against the option values, and a label is accepted too
           * (the original wrote the value where the widget kept the label). */
          g_autofree char *text = cmdb_format_scalar (value);

          cmdb_form_input_set (
              input, element->key,
              json_node_init_string (json_node_alloc (), option_value_of (element, text)), TRUE);
        }
      else
        cmdb_form_input_set (input, element->key, json_node_copy (value), TRUE);
    }
}

/* A boxed type, so bindings (Python plugins) can hold it. */
G_DEFINE_BOXED_TYPE (CmdbFormInput, cmdb_form_input, cmdb_form_input_copy, cmdb_form_input_free)
G_DEFINE_BOXED_TYPE (CmdbFormState, cmdb_form_state, cmdb_form_state_ref, cmdb_form_state_unref)
