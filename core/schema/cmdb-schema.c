#define G_LOG_DOMAIN "cmdb-schema"

#include "cmdbuilder.h"
#include "schema/cmdb-schema-defaults.h"
#include "schema/cmdb-schema-private.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The first argument is stringified into the quark name: no formatter may space its dashes. */
/* clang-format off */
G_DEFINE_QUARK (cmdb-schema-error-quark, cmdb_schema_error)
/* clang-format on */

struct _CmdbSchema
{
  gint ref_count;
  CmdbYamlDocument *document; /* keeps the element nodes alive */
  GPtrArray *fragments;       /* CmdbYamlDocument: the fragments merged in, kept alive too */
  GPtrArray *files;           /* utf8: the schema file, then each fragment merged */
  char *path;
  char *title;
  GPtrArray *constant_overrides; /* utf8 */
  GPtrArray *elements;           /* CmdbSchemaElement */
  GHashTable *by_key;            /* key -> element (borrowed) */
  GPtrArray *option_sources;     /* utf8 */
  GPtrArray *problems;           /* CmdbProblem */
  gboolean has_errors;
};

static const char *const element_keys[] = { "key",
                                            "type",
                                            "label",
                                            "default",
                                            "help",
                                            "hydra_override",
                                            "options",
                                            "options_source",
                                            "visible_if",
                                            "validation",
                                            "architecture_fallback",
                                            "architecture_key",
                                            "filter_by_architecture_key",
                                            "options_metadata_key",
                                            "metadata_default_key",
                                            "metadata_help_key",
                                            "metadata_info_key",
                                            "info_template",
                                            "info_fallback",
                                            "optimizer_key",
                                            "optimizer_fallback",
                                            "optimizer_metadata_key",
                                            "optimizer_help_key",
                                            "min_value",
                                            "max_value",
                                            "step",
                                            "format",
                                            NULL };
/* The declarative rules (cmdb-form-rules.c) are element keys too. */

static const char *const validation_keys[]
    = { "required", "required_if", "min_length", "min", "max", "range", NULL };

static const struct
{
  const char *name;
  CmdbElementType type;
} element_types[] = {
  { "text_input", CMDB_ELEMENT_TEXT_INPUT },
  { "checkbox", CMDB_ELEMENT_CHECKBOX },
  { "selectbox", CMDB_ELEMENT_SELECTBOX },
  { "multiselect", CMDB_ELEMENT_MULTISELECT },
  { "slider", CMDB_ELEMENT_SLIDER },
  { "number_input", CMDB_ELEMENT_NUMBER_INPUT },
  { "info", CMDB_ELEMENT_INFO },
};

const char *
cmdb_element_type_to_string (CmdbElementType type)
{
  for (gsize i = 0; i < G_N_ELEMENTS (element_types); i++)
    if (element_types[i].type == type)
      return element_types[i].name;
  return "unknown";
}

static void
schema_option_free (gpointer data)
{
  CmdbSchemaOption *option = data;

  g_free (option->label);
  g_free (option->value);
  g_free (option);
}

static void
element_free (gpointer data)
{
  CmdbSchemaElement *element = data;

  g_free (element->key);
  g_free (element->type_name);
  g_free (element->label);
  g_free (element->help);
  g_clear_pointer (&element->default_value, json_node_unref);
  g_clear_pointer (&element->hydra_overrides, g_ptr_array_unref);
  g_clear_pointer (&element->options, g_ptr_array_unref);
  g_free (element->options_source);
  g_clear_pointer (&element->visible_if, cmdb_expression_free);
  g_free (element->visible_if_text);
  g_clear_pointer (&element->validation.required_if, cmdb_expression_free);
  g_free (element->validation.required_if_text);
  g_free (element->validation.min_text);
  g_free (element->validation.max_text);
  g_free (element->validation.range_low_text);
  g_free (element->validation.range_high_text);
  g_free (element->architecture_fallback);
  g_free (element->architecture_key);
  g_free (element->filter_by_architecture_key);
  g_free (element->options_metadata_key);
  g_free (element->metadata_default_key);
  g_free (element->metadata_help_key);
  g_free (element->metadata_info_key);
  g_free (element->info_template);
  g_free (element->info_fallback);
  g_free (element->optimizer_key);
  g_free (element->optimizer_fallback);
  g_free (element->optimizer_metadata_key);
  g_free (element->optimizer_help_key);
  g_clear_pointer (&element->min_value, json_node_unref);
  g_clear_pointer (&element->max_value, json_node_unref);
  g_clear_pointer (&element->step, json_node_unref);
  g_free (element->format);
  g_clear_pointer (&element->rules, json_object_unref);
  g_free (element);
}

/* ---- the loader ---- */

typedef struct
{
  CmdbSchema *schema;
  GHashTable *all_keys; /* key -> first element mapping node (every element, for "later" names) */
  const char *element_key; /* subject of problems */
  guint element_index;
  const CmdbYamlNode *expression_node;
  const char *expression_name;
  gboolean expression_ok;
} Loader;

static void add_problem (Loader *loader, CmdbSeverity severity, const CmdbYamlNode *node,
                         const char *format, ...) G_GNUC_PRINTF (4, 5);

static void
add_problem (Loader *loader, CmdbSeverity severity, const CmdbYamlNode *node, const char *format,
             ...)
{
  va_list args;
  g_autofree char *message = NULL;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_ptr_array_add (
      loader->schema->problems,
      cmdb_problem_new (
          severity, node != NULL ? cmdb_yaml_node_get_path (node) : loader->schema->path,
          node != NULL ? cmdb_yaml_node_get_line (node) : 0,
          node != NULL ? cmdb_yaml_node_get_column (node) : 0, loader->element_key, "%s", message));
  if (severity == CMDB_SEVERITY_ERROR)
    loader->schema->has_errors = TRUE;
}

static const char *
kind_name (const CmdbYamlNode *node)
{
  switch (cmdb_yaml_node_get_kind (node))
    {
      case CMDB_YAML_NODE_MAPPING:
        return "a mapping";
      case CMDB_YAML_NODE_SEQUENCE:
        return "a list";
      case CMDB_YAML_NODE_SCALAR:
      default:
        return "a scalar";
    }
}

/* A string-valued key: a scalar (any plain type reads as its text); null
 * counts as absent. */
static char *
read_string (Loader *loader, const CmdbYamlNode *value, const char *name)
{
  if (value == NULL || cmdb_yaml_node_is_null (value))
    return NULL;
  if (cmdb_yaml_node_get_kind (value) != CMDB_YAML_NODE_SCALAR)
    {
      add_problem (loader, CMDB_SEVERITY_ERROR, value, "'%s' must be a string, not %s", name,
                   kind_name (value));
      return NULL;
    }
  return g_strdup (cmdb_yaml_node_get_scalar (value));
}

/* A number: YAML ints and floats, and plain scalars such as `1e-5` that
 * YAML 1.1 reads as strings but are plainly meant as numbers. */
static JsonNode *
read_number (Loader *loader, const CmdbYamlNode *value, const char *name)
{
  gint64 integer;
  double number;

  if (value == NULL || cmdb_yaml_node_is_null (value))
    return NULL;
  if (cmdb_yaml_node_get_kind (value) == CMDB_YAML_NODE_SCALAR)
    {
      if (cmdb_yaml_node_get_int (value, &integer))
        return json_node_init_int (json_node_alloc (), integer);
      if (cmdb_yaml_node_get_double (value, &number))
        return json_node_init_double (json_node_alloc (), number);
      if (cmdb_yaml_node_get_scalar_style (value) == CMDB_YAML_SCALAR_PLAIN)
        {
          const char *text = cmdb_yaml_node_get_scalar (value);
          char *end = NULL;

          number = g_ascii_strtod (text, &end);
          if (end != text && *end == '\0')
            return json_node_init_double (json_node_alloc (), number);
        }
    }
  add_problem (loader, CMDB_SEVERITY_ERROR, value, "'%s' must be a number, not %s", name,
               cmdb_yaml_node_get_kind (value) == CMDB_YAML_NODE_SCALAR ? "a string"
                                                                        : kind_name (value));
  return NULL;
}

static void
check_name (const char *name, guint offset, gpointer user_data)
{
  Loader *loader = user_data;
  const CmdbYamlNode *defined = g_hash_table_lookup (loader->all_keys, name);
  const CmdbSchemaElement *earlier = g_hash_table_lookup (loader->schema->by_key, name);

  if (earlier != NULL && earlier->index < loader->element_index)
    return;
  loader->expression_ok = FALSE;
  if (defined != NULL)
    add_problem (loader, CMDB_SEVERITY_ERROR, loader->expression_node,
                 "%s: '%s' is defined at line %u, not before this element; an expression can "
                 "only name earlier elements (offset %u)",
                 loader->expression_name, name, cmdb_yaml_node_get_line (defined), offset);
  else
    add_problem (loader, CMDB_SEVERITY_ERROR, loader->expression_node,
                 "%s: unknown name '%s' (offset %u)", loader->expression_name, name, offset);
}

static CmdbExpression *
read_expression (Loader *loader, const CmdbYamlNode *value, const char *name, char **ret_text)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CmdbExpression) expression = NULL;
  g_autofree char *text = read_string (loader, value, name);
  guint offset = 0;

  if (text == NULL || g_strstrip (text)[0] == '\0')
    return NULL;
  expression = cmdb_expression_parse (text, &offset, &error);
  *ret_text = g_strdup (text);
  if (expression == NULL)
    {
      add_problem (loader, CMDB_SEVERITY_ERROR, value, "%s: %s", name, error->message);
      return NULL;
    }
  loader->expression_node = value;
  loader->expression_name = name;
  loader->expression_ok = TRUE;
  cmdb_expression_foreach_name (expression, check_name, loader);
  /* A broken expression is treated as absent (and the schema has an error,
   * which blocks building commands). */
  return loader->expression_ok ? g_steal_pointer (&expression) : NULL;
}

static void
read_options (Loader *loader, CmdbSchemaElement *element, const CmdbYamlNode *value)
{
  guint n;
  gboolean saw_map = FALSE, saw_scalar = FALSE;

  if (value == NULL || cmdb_yaml_node_is_null (value))
    return;
  if (cmdb_yaml_node_get_kind (value) != CMDB_YAML_NODE_SEQUENCE)
    {
      add_problem (loader, CMDB_SEVERITY_ERROR, value, "'options' must be a list, not %s",
                   kind_name (value));
      return;
    }
  element->options = g_ptr_array_new_with_free_func (schema_option_free);
  n = cmdb_yaml_node_get_n_children (value);
  for (guint i = 0; i < n; i++)
    {
      const CmdbYamlNode *item = cmdb_yaml_node_get_item (value, i);
      CmdbSchemaOption *option;

      if (cmdb_yaml_node_get_kind (item) == CMDB_YAML_NODE_SCALAR)
        {
          saw_scalar = TRUE;
          option = g_new0 (CmdbSchemaOption, 1);
          option->value
              = g_strdup (cmdb_yaml_node_is_null (item) ? "" : cmdb_yaml_node_get_scalar (item));
          option->label = g_strdup (option->value);
          g_ptr_array_add (element->options, option);
        }
      else if (cmdb_yaml_node_get_kind (item) == CMDB_YAML_NODE_MAPPING)
        {
          const CmdbYamlNode *label = cmdb_yaml_node_lookup (item, "label");
          const CmdbYamlNode *option_value = cmdb_yaml_node_lookup (item, "value");

          saw_map = TRUE;
          if (option_value == NULL
              || cmdb_yaml_node_get_kind (option_value) != CMDB_YAML_NODE_SCALAR)
            {
              add_problem (loader, CMDB_SEVERITY_ERROR, item,
                           "an option map needs a scalar 'value'");
              continue;
            }
          for (guint k = 0; k < cmdb_yaml_node_get_n_children (item); k++)
            {
              const CmdbYamlNode *key_node = cmdb_yaml_node_get_key_node (item, k);
              const char *key = cmdb_yaml_node_get_scalar (key_node);

              if (!g_str_equal (key, "label") && !g_str_equal (key, "value"))
                add_problem (loader, CMDB_SEVERITY_WARNING, key_node,
                             "unknown option key '%s' (expected 'label' and 'value')", key);
            }
          option = g_new0 (CmdbSchemaOption, 1);
          option->value = g_strdup (cmdb_yaml_node_is_null (option_value)
                                        ? ""
                                        : cmdb_yaml_node_get_scalar (option_value));
          option->label = label != NULL && cmdb_yaml_node_get_kind (label) == CMDB_YAML_NODE_SCALAR
                                  && !cmdb_yaml_node_is_null (label)
                              ? g_strdup (cmdb_yaml_node_get_scalar (label))
                              : g_strdup (option->value);
          g_ptr_array_add (element->options, option);
        }
      else
        add_problem (loader, CMDB_SEVERITY_ERROR, item,
                     "an option must be a string or a {label, value} map, not a list");
    }
  if (saw_map && saw_scalar)
    add_problem (loader, CMDB_SEVERITY_ERROR, value,
                 "options mix strings and {label, value} maps; use one form");
  element->options_are_maps = saw_map;
}

static void
read_hydra_override (Loader *loader, CmdbSchemaElement *element, const CmdbYamlNode *value)
{
  if (value == NULL || cmdb_yaml_node_is_null (value))
    return;
  if (cmdb_yaml_node_get_kind (value) == CMDB_YAML_NODE_SCALAR)
    {
      g_ptr_array_add (element->hydra_overrides, g_strdup (cmdb_yaml_node_get_scalar (value)));
      return;
    }
  if (cmdb_yaml_node_get_kind (value) == CMDB_YAML_NODE_SEQUENCE)
    {
      for (guint i = 0; i < cmdb_yaml_node_get_n_children (value); i++)
        {
          const CmdbYamlNode *item = cmdb_yaml_node_get_item (value, i);

          if (cmdb_yaml_node_get_kind (item) != CMDB_YAML_NODE_SCALAR
              || cmdb_yaml_node_is_null (item))
            add_problem (loader, CMDB_SEVERITY_ERROR, item,
                         "'hydra_override' items must be strings, not %s", kind_name (item));
          else
            g_ptr_array_add (element->hydra_overrides, g_strdup (cmdb_yaml_node_get_scalar (item)));
        }
      return;
    }
  add_problem (loader, CMDB_SEVERITY_ERROR, value,
               "'hydra_override' must be a string or a list of strings, not a mapping");
}

static void
read_validation (Loader *loader, CmdbSchemaElement *element, const CmdbYamlNode *value)
{
  CmdbSchemaValidation *validation = &element->validation;
  const CmdbYamlNode *node;

  if (value == NULL || cmdb_yaml_node_is_null (value))
    return;
  if (cmdb_yaml_node_get_kind (value) != CMDB_YAML_NODE_MAPPING)
    {
      add_problem (loader, CMDB_SEVERITY_ERROR, value, "'validation' must be a mapping, not %s",
                   kind_name (value));
      return;
    }
  for (guint i = 0; i < cmdb_yaml_node_get_n_children (value); i++)
    {
      const CmdbYamlNode *key_node = cmdb_yaml_node_get_key_node (value, i);

      if (!g_strv_contains (validation_keys, cmdb_yaml_node_get_scalar (key_node)))
        add_problem (loader, CMDB_SEVERITY_WARNING, key_node, "unknown validation rule '%s'",
                     cmdb_yaml_node_get_scalar (key_node));
    }

  node = cmdb_yaml_node_lookup (value, "required");
  if (node != NULL && !cmdb_yaml_node_is_null (node)
      && !cmdb_yaml_node_get_bool (node, &validation->required))
    add_problem (loader, CMDB_SEVERITY_ERROR, node, "'required' must be true or false");

  node = cmdb_yaml_node_lookup (value, "required_if");
  if (node != NULL)
    validation->required_if
        = read_expression (loader, node, "required_if", &validation->required_if_text);

  node = cmdb_yaml_node_lookup (value, "min_length");
  if (node != NULL && !cmdb_yaml_node_is_null (node))
    {
      gint64 length;

      if (cmdb_yaml_node_get_int (node, &length) && length >= 0)
        validation->min_length = length;
      else
        add_problem (loader, CMDB_SEVERITY_ERROR, node,
                     "'min_length' must be a non-negative integer");
    }

  node = cmdb_yaml_node_lookup (value, "min");
  if (node != NULL)
    {
      g_autoptr (JsonNode) number = read_number (loader, node, "min");

      if (number != NULL)
        {
          validation->min_text = cmdb_format_scalar (number);
          validation->has_min = TRUE;
          validation->min = json_node_get_double (number);
        }
    }
  node = cmdb_yaml_node_lookup (value, "max");
  if (node != NULL)
    {
      g_autoptr (JsonNode) number = read_number (loader, node, "max");

      if (number != NULL)
        {
          validation->max_text = cmdb_format_scalar (number);
          validation->has_max = TRUE;
          validation->max = json_node_get_double (number);
        }
    }
  node = cmdb_yaml_node_lookup (value, "range");
  if (node != NULL && !cmdb_yaml_node_is_null (node))
    {
      if (cmdb_yaml_node_get_kind (node) != CMDB_YAML_NODE_SEQUENCE
          || cmdb_yaml_node_get_n_children (node) != 2)
        add_problem (loader, CMDB_SEVERITY_ERROR, node, "'range' must be a list [low, high]");
      else
        {
          g_autoptr (JsonNode) low
              = read_number (loader, cmdb_yaml_node_get_item (node, 0), "range");
          g_autoptr (JsonNode) high
              = read_number (loader, cmdb_yaml_node_get_item (node, 1), "range");

          if (low != NULL && high != NULL)
            {
              validation->has_range = TRUE;
              validation->range_low_text = cmdb_format_scalar (low);
              validation->range_high_text = cmdb_format_scalar (high);
              validation->range_low = json_node_get_double (low);
              validation->range_high = json_node_get_double (high);
            }
        }
    }
}

static char *
read_string_key (Loader *loader, const CmdbYamlNode *mapping, const char *name)
{
  return read_string (loader, cmdb_yaml_node_lookup (mapping, name), name);
}

/* The element's declarative rule attributes, each checked for its shape. */
static void
read_rules (Loader *loader, CmdbSchemaElement *element, const CmdbYamlNode *mapping)
{
  element->rules = json_object_new ();
  for (guint i = 0; i < cmdb_yaml_node_get_n_children (mapping); i++)
    {
      const char *name = cmdb_yaml_node_get_scalar (cmdb_yaml_node_get_key_node (mapping, i));
      const CmdbYamlNode *value = cmdb_yaml_node_get_value_node (mapping, i);
      g_autoptr (JsonNode) node = NULL;
      g_autofree char *reason = NULL;

      if (!cmdb_form_rule_is_known (name) || cmdb_yaml_node_is_null (value))
        continue;
      node = cmdb_yaml_node_to_json (value);
      if (!cmdb_form_rule_check (name, node, &reason))
        {
          add_problem (loader, CMDB_SEVERITY_ERROR, value, "'%s': %s", name, reason);
          continue;
        }
      json_object_set_member (element->rules, name, g_steal_pointer (&node));
    }
}

static void
read_element (Loader *loader, const CmdbYamlNode *mapping, const char *key)
{
  CmdbSchema *schema = loader->schema;
  CmdbSchemaElement *element = g_new0 (CmdbSchemaElement, 1);
  const CmdbYamlNode *type_node = cmdb_yaml_node_lookup (mapping, "type");
  const CmdbYamlNode *node;
  g_autofree char *label = NULL;

  element->key = g_strdup (key);
  element->node = mapping;
  element->index = schema->elements->len;
  element->hydra_overrides = g_ptr_array_new_with_free_func (g_free);
  element->validation.min_length = -1;
  loader->element_index = element->index;

  /* Registered first, so expressions can tell "this element" from "later". */
  g_ptr_array_add (schema->elements, element);
  g_hash_table_insert (schema->by_key, element->key, element);

  for (guint i = 0; i < cmdb_yaml_node_get_n_children (mapping); i++)
    {
      const CmdbYamlNode *key_node = cmdb_yaml_node_get_key_node (mapping, i);

      if (!g_strv_contains (element_keys, cmdb_yaml_node_get_scalar (key_node))
          && !cmdb_form_rule_is_known (cmdb_yaml_node_get_scalar (key_node)))
        add_problem (loader, CMDB_SEVERITY_WARNING, key_node, "unknown element key '%s'",
                     cmdb_yaml_node_get_scalar (key_node));
    }

  element->type = CMDB_ELEMENT_UNKNOWN;
  if (type_node == NULL || cmdb_yaml_node_is_null (type_node))
    add_problem (loader, CMDB_SEVERITY_ERROR, mapping, "element '%s' has no 'type'", key);
  else
    {
      element->type_name = read_string (loader, type_node, "type");
      for (gsize i = 0; element->type_name != NULL && i < G_N_ELEMENTS (element_types); i++)
        if (g_str_equal (element->type_name, element_types[i].name))
          element->type = element_types[i].type;
      if (element->type_name != NULL && element->type == CMDB_ELEMENT_UNKNOWN)
        add_problem (loader, CMDB_SEVERITY_WARNING, type_node,
                     "unknown element type '%s' (expected text_input, checkbox, selectbox, "
                     "multiselect, slider, number_input or info); the element has no value",
                     element->type_name);
    }

  label = read_string_key (loader, mapping, "label");
  element->label = label != NULL && label[0] != '\0' ? g_steal_pointer (&label) : g_strdup (key);
  element->help = read_string_key (loader, mapping, "help");

  node = cmdb_yaml_node_lookup (mapping, "default");
  if (node != NULL && !cmdb_yaml_node_is_null (node))
    element->default_value = cmdb_yaml_node_to_json (node);

  read_hydra_override (loader, element, cmdb_yaml_node_lookup (mapping, "hydra_override"));
  read_options (loader, element, cmdb_yaml_node_lookup (mapping, "options"));
  element->options_source = read_string_key (loader, mapping, "options_source");

  node = cmdb_yaml_node_lookup (mapping, "visible_if");
  if (node != NULL)
    element->visible_if = read_expression (loader, node, "visible_if", &element->visible_if_text);
  read_validation (loader, element, cmdb_yaml_node_lookup (mapping, "validation"));

  element->architecture_fallback = read_string_key (loader, mapping, "architecture_fallback");
  element->architecture_key = read_string_key (loader, mapping, "architecture_key");
  if (element->architecture_key == NULL)
    element->architecture_key = g_strdup (CMDB_SCHEMA_DEFAULT_ARCHITECTURE_KEY);
  element->filter_by_architecture_key
      = read_string_key (loader, mapping, "filter_by_architecture_key");
  element->options_metadata_key = read_string_key (loader, mapping, "options_metadata_key");
  element->metadata_default_key = read_string_key (loader, mapping, "metadata_default_key");
  element->metadata_help_key = read_string_key (loader, mapping, "metadata_help_key");
  element->metadata_info_key = read_string_key (loader, mapping, "metadata_info_key");
  element->info_template = read_string_key (loader, mapping, "info_template");
  if (element->info_template == NULL)
    element->info_template = g_strdup ("{value}");
  element->info_fallback = read_string_key (loader, mapping, "info_fallback");
  if (element->info_fallback == NULL)
    element->info_fallback = g_strdup ("No metadata available.");
  element->optimizer_key = read_string_key (loader, mapping, "optimizer_key");
  if (element->optimizer_key == NULL)
    element->optimizer_key = g_strdup (CMDB_SCHEMA_DEFAULT_OPTIMIZER_KEY);
  element->optimizer_fallback = read_string_key (loader, mapping, "optimizer_fallback");
  element->optimizer_metadata_key = read_string_key (loader, mapping, "optimizer_metadata_key");
  element->optimizer_help_key = read_string_key (loader, mapping, "optimizer_help_key");
  element->min_value
      = read_number (loader, cmdb_yaml_node_lookup (mapping, "min_value"), "min_value");
  element->max_value
      = read_number (loader, cmdb_yaml_node_lookup (mapping, "max_value"), "max_value");
  element->step = read_number (loader, cmdb_yaml_node_lookup (mapping, "step"), "step");
  element->format = read_string_key (loader, mapping, "format");
  read_rules (loader, element, mapping);

  /* Shapes that make the element unusable or surprising. */
  if (element->type == CMDB_ELEMENT_SLIDER && element->optimizer_metadata_key == NULL
      && (element->min_value == NULL || element->max_value == NULL))
    add_problem (loader, CMDB_SEVERITY_WARNING, mapping,
                 "slider '%s' needs both 'min_value' and 'max_value'; its value stays at the "
                 "default",
                 key);
  if ((element->type == CMDB_ELEMENT_SELECTBOX || element->type == CMDB_ELEMENT_MULTISELECT)
      && element->options == NULL && element->options_source == NULL
      && element->options_metadata_key == NULL)
    add_problem (loader, CMDB_SEVERITY_WARNING, mapping,
                 "%s '%s' has neither 'options' nor 'options_source'; its only choice is empty",
                 element->type_name, key);
  if (element->type == CMDB_ELEMENT_MULTISELECT && element->default_value != NULL
      && !JSON_NODE_HOLDS_ARRAY (element->default_value))
    add_problem (loader, CMDB_SEVERITY_ERROR, cmdb_yaml_node_lookup (mapping, "default"),
                 "the default of multiselect '%s' must be a list", key);
  if (element->type == CMDB_ELEMENT_CHECKBOX && element->default_value != NULL
      && !(JSON_NODE_HOLDS_VALUE (element->default_value)
           && json_node_get_value_type (element->default_value) == G_TYPE_BOOLEAN))
    add_problem (loader, CMDB_SEVERITY_WARNING, cmdb_yaml_node_lookup (mapping, "default"),
                 "the default of checkbox '%s' is not true or false; its truth is used", key);

  if (element->options == NULL && element->options_source != NULL)
    {
      gboolean seen = FALSE;

      for (guint i = 0; i < schema->option_sources->len; i++)
        if (g_str_equal (g_ptr_array_index (schema->option_sources, i), element->options_source))
          seen = TRUE;
      if (!seen)
        g_ptr_array_add (schema->option_sources, g_strdup (element->options_source));
    }
}

/* The element's key, or NULL (reported) when it has none usable. */
static const char *
element_key_of (Loader *loader, const CmdbYamlNode *mapping)
{
  const CmdbYamlNode *key = cmdb_yaml_node_lookup (mapping, "key");

  if (key == NULL || cmdb_yaml_node_is_null (key))
    {
      add_problem (loader, CMDB_SEVERITY_ERROR, mapping, "element %u has no 'key'; it is skipped",
                   loader->element_index + 1);
      return NULL;
    }
  if (cmdb_yaml_node_get_kind (key) != CMDB_YAML_NODE_SCALAR)
    {
      add_problem (loader, CMDB_SEVERITY_ERROR, key,
                   "'key' must be a string, not %s; the "
                   "element is skipped",
                   kind_name (key));
      return NULL;
    }
  if (cmdb_yaml_node_get_scalar (key)[0] == '\0')
    {
      add_problem (loader, CMDB_SEVERITY_ERROR, key, "'key' is empty; the element is skipped");
      return NULL;
    }
  return cmdb_yaml_node_get_scalar (key);
}

/* The `ui_elements` items of @document's root mapping @root, appended to
 * @items; FALSE (reported) when there is no usable list. */
static gboolean
collect_items (Loader *loader, const CmdbYamlNode *root, GPtrArray *items)
{
  const CmdbYamlNode *elements = cmdb_yaml_node_lookup (root, "ui_elements");

  if (elements == NULL || cmdb_yaml_node_is_null (elements))
    {
      add_problem (loader, CMDB_SEVERITY_ERROR, root, "the schema has no 'ui_elements' list");
      return FALSE;
    }
  if (cmdb_yaml_node_get_kind (elements) != CMDB_YAML_NODE_SEQUENCE)
    {
      add_problem (loader, CMDB_SEVERITY_ERROR, elements, "'ui_elements' must be a list, not %s",
                   kind_name (elements));
      return FALSE;
    }
  for (guint i = 0; i < cmdb_yaml_node_get_n_children (elements); i++)
    g_ptr_array_add (items, (gpointer) cmdb_yaml_node_get_item (elements, i));
  return TRUE;
}

/* The key an item would have, or NULL (no reports: the loader reports). */
static const char *
item_key (const CmdbYamlNode *item)
{
  const CmdbYamlNode *key = cmdb_yaml_node_get_kind (item) == CMDB_YAML_NODE_MAPPING
                                ? cmdb_yaml_node_lookup (item, "key")
                                : NULL;

  if (key == NULL || cmdb_yaml_node_get_kind (key) != CMDB_YAML_NODE_SCALAR)
    return NULL;
  return cmdb_yaml_node_get_scalar (key);
}

/* Merges fragment @document's `ui_elements` into @items by element key: a
 * known key replaces that element where it stands, a new key is appended. */
static void
merge_fragment (Loader *loader, CmdbYamlDocument *document, GPtrArray *items)
{
  const CmdbYamlNode *root = cmdb_yaml_document_get_root (document);
  g_autoptr (GPtrArray) added = g_ptr_array_new ();

  if (root == NULL || cmdb_yaml_node_get_kind (root) != CMDB_YAML_NODE_MAPPING)
    {
      if (root != NULL)
        add_problem (loader, CMDB_SEVERITY_ERROR, root,
                     "a schema fragment must be a mapping with 'ui_elements'; it is skipped");
      return;
    }
  for (guint i = 0; i < cmdb_yaml_node_get_n_children (root); i++)
    {
      const CmdbYamlNode *key_node = cmdb_yaml_node_get_key_node (root, i);

      if (!g_str_equal (cmdb_yaml_node_get_scalar (key_node), "ui_elements"))
        add_problem (loader, CMDB_SEVERITY_WARNING, key_node,
                     "a schema fragment holds only 'ui_elements'; '%s' is ignored",
                     cmdb_yaml_node_get_scalar (key_node));
    }
  if (!collect_items (loader, root, added))
    return;
  for (guint i = 0; i < added->len; i++)
    {
      const char *key = item_key (g_ptr_array_index (added, i));
      gboolean replaced = FALSE;

      for (guint j = 0; key != NULL && j < items->len && !replaced; j++)
        if (g_strcmp0 (item_key (g_ptr_array_index (items, j)), key) == 0)
          {
            items->pdata[j] = g_ptr_array_index (added, i);
            replaced = TRUE;
          }
      if (!replaced)
        g_ptr_array_add (items, g_ptr_array_index (added, i));
    }
}

CmdbSchema *
cmdb_schema_new_from_document (CmdbYamlDocument *document, GError **error)
{
  return cmdb_schema_new_layered (document, NULL, error);
}

CmdbSchema *
cmdb_schema_new_layered (CmdbYamlDocument *document, GPtrArray *fragments, GError **error)
{
  g_autoptr (CmdbSchema) schema = NULL;
  g_autoptr (GPtrArray) items = g_ptr_array_new ();
  const CmdbYamlNode *root;
  const CmdbYamlNode *node;
  Loader loader = { 0 };

  g_return_val_if_fail (document != NULL, NULL);

  root = cmdb_yaml_document_get_root (document);
  if (root == NULL || cmdb_yaml_node_get_kind (root) != CMDB_YAML_NODE_MAPPING)
    {
      g_set_error (error, CMDB_SCHEMA_ERROR, CMDB_SCHEMA_ERROR_INVALID,
                   "%s:%u:%u: a schema must be a mapping with 'ui_elements'%s",
                   cmdb_yaml_document_get_path (document),
                   root != NULL ? cmdb_yaml_node_get_line (root) : 1,
                   root != NULL ? cmdb_yaml_node_get_column (root) : 1,
                   root == NULL ? " (the file is empty)" : "");
      return NULL;
    }

  schema = g_new0 (CmdbSchema, 1);
  schema->ref_count = 1;
  schema->document = cmdb_yaml_document_ref (document);
  schema->path = g_strdup (cmdb_yaml_document_get_path (document));
  schema->fragments = g_ptr_array_new_with_free_func ((GDestroyNotify) cmdb_yaml_document_unref);
  schema->files = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (schema->files, g_strdup (schema->path));
  schema->constant_overrides = g_ptr_array_new_with_free_func (g_free);
  schema->elements = g_ptr_array_new_with_free_func (element_free);
  schema->by_key = g_hash_table_new (g_str_hash, g_str_equal);
  schema->option_sources = g_ptr_array_new_with_free_func (g_free);
  schema->problems = g_ptr_array_new_with_free_func ((GDestroyNotify) cmdb_problem_free);
  loader.schema = schema;
  loader.all_keys = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < cmdb_yaml_node_get_n_children (root); i++)
    {
      const CmdbYamlNode *key_node = cmdb_yaml_node_get_key_node (root, i);
      const char *name = cmdb_yaml_node_get_scalar (key_node);

      if (!g_str_equal (name, "title") && !g_str_equal (name, "constant_overrides")
          && !g_str_equal (name, "ui_elements"))
        add_problem (&loader, CMDB_SEVERITY_WARNING, key_node,
                     "unknown top-level key '%s' (expected title, constant_overrides, "
                     "ui_elements)",
                     name);
    }

  schema->title = read_string (&loader, cmdb_yaml_node_lookup (root, "title"), "title");

  node = cmdb_yaml_node_lookup (root, "constant_overrides");
  if (node != NULL && !cmdb_yaml_node_is_null (node))
    {
      if (cmdb_yaml_node_get_kind (node) != CMDB_YAML_NODE_SEQUENCE)
        add_problem (&loader, CMDB_SEVERITY_ERROR, node,
                     "'constant_overrides' must be a list of strings, not %s", kind_name (node));
      else
        for (guint i = 0; i < cmdb_yaml_node_get_n_children (node); i++)
          {
            const CmdbYamlNode *item = cmdb_yaml_node_get_item (node, i);

            if (cmdb_yaml_node_get_kind (item) != CMDB_YAML_NODE_SCALAR
                || cmdb_yaml_node_is_null (item))
              add_problem (&loader, CMDB_SEVERITY_ERROR, item,
                           "'constant_overrides' items must be strings, not %s",
                           cmdb_yaml_node_is_null (item) ? "null" : kind_name (item));
            else
              g_ptr_array_add (schema->constant_overrides,
                               g_strdup (cmdb_yaml_node_get_scalar (item)));
          }
    }

  collect_items (&loader, root, items);
  for (guint i = 0; fragments != NULL && i < fragments->len; i++)
    {
      CmdbYamlDocument *fragment = g_ptr_array_index (fragments, i);

      g_ptr_array_add (schema->fragments, cmdb_yaml_document_ref (fragment));
      g_ptr_array_add (schema->files, g_strdup (cmdb_yaml_document_get_path (fragment)));
      merge_fragment (&loader, fragment, items);
    }
  {
    guint n = items->len;

    /* First pass: every key and where it is, so an expression naming a
       * later element can say so. */
    for (guint i = 0; i < n; i++)
      {
        const CmdbYamlNode *item = g_ptr_array_index (items, i);
        const CmdbYamlNode *key = cmdb_yaml_node_get_kind (item) == CMDB_YAML_NODE_MAPPING
                                      ? cmdb_yaml_node_lookup (item, "key")
                                      : NULL;

        if (key != NULL && cmdb_yaml_node_get_kind (key) == CMDB_YAML_NODE_SCALAR
            && !g_hash_table_contains (loader.all_keys, cmdb_yaml_node_get_scalar (key)))
          g_hash_table_insert (loader.all_keys, (gpointer) cmdb_yaml_node_get_scalar (key),
                               (gpointer) item);
      }

    for (guint i = 0; i < n; i++)
      {
        const CmdbYamlNode *item = g_ptr_array_index (items, i);
        const char *key;
        const CmdbSchemaElement *earlier;

        loader.element_key = NULL;
        loader.element_index = schema->elements->len;
        if (cmdb_yaml_node_get_kind (item) != CMDB_YAML_NODE_MAPPING)
          {
            add_problem (&loader, CMDB_SEVERITY_ERROR, item,
                         "element %u must be a mapping, not %s; it is skipped", i + 1,
                         kind_name (item));
            continue;
          }
        key = element_key_of (&loader, item);
        if (key == NULL)
          continue;
        loader.element_key = key;
        earlier = g_hash_table_lookup (schema->by_key, key);
        if (earlier != NULL)
          {
            add_problem (&loader, CMDB_SEVERITY_ERROR, cmdb_yaml_node_lookup (item, "key"),
                         "duplicate element key '%s' (first defined at line %u); this "
                         "element is skipped",
                         key, cmdb_yaml_node_get_line (earlier->node));
            continue;
          }
        read_element (&loader, item, key);
      }
  }
  g_hash_table_unref (loader.all_keys);
  return g_steal_pointer (&schema);
}

typedef struct
{
  const char *path;
  GPtrArray *fragment_paths; /* (nullable) */
} SchemaRequest;

static gpointer
compute_schema (CmdbCache *cache, const char *key, gpointer user_data, gsize *ret_size,
                GError **error)
{
  SchemaRequest *request = user_data;
  g_autoptr (CmdbYamlDocument) document = cmdb_cache_get_yaml (cache, request->path, error);
  g_autoptr (GPtrArray) fragments
      = g_ptr_array_new_with_free_func ((GDestroyNotify) cmdb_yaml_document_unref);
  g_autoptr (GPtrArray) unreadable
      = g_ptr_array_new_with_free_func ((GDestroyNotify) cmdb_problem_free);
  CmdbSchema *schema;
  gsize size;

  if (document == NULL)
    return NULL;
  size = cmdb_yaml_document_get_size (document);
  /* A fragment that cannot be read or parsed is a problem of the schema,
   * not the end of the page. */
  for (guint i = 0; request->fragment_paths != NULL && i < request->fragment_paths->len; i++)
    {
      const char *path = g_ptr_array_index (request->fragment_paths, i);
      g_autoptr (GError) fragment_error = NULL;
      CmdbYamlDocument *fragment = cmdb_cache_get_yaml (cache, path, &fragment_error);

      if (fragment == NULL)
        {
          g_ptr_array_add (unreadable, cmdb_schema_problem_from_error (fragment_error, path, NULL));
          continue;
        }
      size += cmdb_yaml_document_get_size (fragment);
      g_ptr_array_add (fragments, fragment);
    }
  schema = cmdb_schema_new_layered (document, fragments, error);
  if (schema == NULL)
    return NULL;
  for (guint i = 0; i < unreadable->len; i++)
    {
      g_ptr_array_add (schema->problems, g_ptr_array_steal_index (unreadable, 0));
      schema->has_errors = TRUE;
      i--;
    }
  *ret_size = size + 1024 * schema->elements->len;
  return schema;
}

CmdbSchema *
cmdb_schema_load (CmdbCache *cache, const char *path, GError **error)
{
  return cmdb_schema_load_layered (cache, path, NULL, error);
}

CmdbSchema *
cmdb_schema_load_layered (CmdbCache *cache, const char *path, GPtrArray *fragment_paths,
                          GError **error)
{
  SchemaRequest request = { path, fragment_paths };
  g_autoptr (GString) key = NULL;

  g_return_val_if_fail (cache != NULL, NULL);
  g_return_val_if_fail (path != NULL, NULL);

  key = g_string_new ("schema:");
  g_string_append (key, path);
  for (guint i = 0; fragment_paths != NULL && i < fragment_paths->len; i++)
    g_string_append_printf (key, "\n+%s", (const char *) g_ptr_array_index (fragment_paths, i));
  return cmdb_cache_get_derived (cache, key->str, compute_schema, &request,
                                 (GBoxedCopyFunc) cmdb_schema_ref,
                                 (GDestroyNotify) cmdb_schema_unref, error);
}

GPtrArray *
cmdb_schema_get_files (CmdbSchema *schema)
{
  g_return_val_if_fail (schema != NULL, NULL);
  return schema->files;
}

CmdbSchema *
cmdb_schema_ref (CmdbSchema *schema)
{
  g_return_val_if_fail (schema != NULL, NULL);
  g_atomic_int_inc (&schema->ref_count);
  return schema;
}

void
cmdb_schema_unref (CmdbSchema *schema)
{
  if (schema == NULL || !g_atomic_int_dec_and_test (&schema->ref_count))
    return;
  g_ptr_array_unref (schema->elements);
  g_hash_table_unref (schema->by_key);
  g_ptr_array_unref (schema->constant_overrides);
  g_ptr_array_unref (schema->option_sources);
  g_ptr_array_unref (schema->problems);
  g_free (schema->title);
  g_free (schema->path);
  cmdb_yaml_document_unref (schema->document);
  g_ptr_array_unref (schema->fragments);
  g_ptr_array_unref (schema->files);
  g_free (schema);
}

const char *
cmdb_schema_get_path (CmdbSchema *schema)
{
  g_return_val_if_fail (schema != NULL, NULL);
  return schema->path;
}

const char *
cmdb_schema_get_title (CmdbSchema *schema)
{
  g_return_val_if_fail (schema != NULL, NULL);
  return schema->title;
}

GPtrArray *
cmdb_schema_get_constant_overrides (CmdbSchema *schema)
{
  g_return_val_if_fail (schema != NULL, NULL);
  return schema->constant_overrides;
}

guint
cmdb_schema_get_n_elements (CmdbSchema *schema)
{
  g_return_val_if_fail (schema != NULL, 0);
  return schema->elements->len;
}

const CmdbSchemaElement *
cmdb_schema_get_element (CmdbSchema *schema, guint index)
{
  g_return_val_if_fail (schema != NULL, NULL);
  g_return_val_if_fail (index < schema->elements->len, NULL);
  return g_ptr_array_index (schema->elements, index);
}

const CmdbSchemaElement *
cmdb_schema_lookup (CmdbSchema *schema, const char *key)
{
  g_return_val_if_fail (schema != NULL, NULL);
  return key != NULL ? g_hash_table_lookup (schema->by_key, key) : NULL;
}

GPtrArray *
cmdb_schema_get_option_sources (CmdbSchema *schema)
{
  g_return_val_if_fail (schema != NULL, NULL);
  return schema->option_sources;
}

GPtrArray *
cmdb_schema_get_problems (CmdbSchema *schema)
{
  g_return_val_if_fail (schema != NULL, NULL);
  return schema->problems;
}

gboolean
cmdb_schema_has_errors (CmdbSchema *schema)
{
  g_return_val_if_fail (schema != NULL, FALSE);
  return schema->has_errors;
}

/* ---- shared helpers ---- */

CmdbProblem *
cmdb_schema_problem_from_error (const GError *error, const char *fallback_path, const char *subject)
{
  g_autoptr (GRegex) regex
      = g_regex_new ("^(.+?):([0-9]+):([0-9]+): (.*)$", G_REGEX_DOTALL, 0, NULL);
  g_autoptr (GMatchInfo) match = NULL;

  if (g_regex_match (regex, error->message, 0, &match))
    {
      g_autofree char *path = g_match_info_fetch (match, 1);
      g_autofree char *line = g_match_info_fetch (match, 2);
      g_autofree char *column = g_match_info_fetch (match, 3);
      g_autofree char *message = g_match_info_fetch (match, 4);

      return cmdb_problem_new (CMDB_SEVERITY_ERROR, path, (guint) g_ascii_strtoull (line, NULL, 10),
                               (guint) g_ascii_strtoull (column, NULL, 10), subject, "%s", message);
    }
  return cmdb_problem_new (CMDB_SEVERITY_ERROR, fallback_path, 0, 0, subject, "%s", error->message);
}

static void
metadata_to_yaml (const CmdbYamlNode *node, GString *out, guint indent)
{
  for (guint i = 0; i < cmdb_yaml_node_get_n_children (node); i++)
    {
      const CmdbYamlNode *key = cmdb_yaml_node_get_key_node (node, i);
      const CmdbYamlNode *value = cmdb_yaml_node_get_value_node (node, i);

      for (guint j = 0; j < indent; j++)
        g_string_append_c (out, ' ');
      g_string_append_printf (out, "%s:", cmdb_yaml_node_get_scalar (key));
      if (cmdb_yaml_node_get_kind (value) == CMDB_YAML_NODE_MAPPING)
        {
          g_string_append_c (out, '\n');
          metadata_to_yaml (value, out, indent + 2);
        }
      else if (cmdb_yaml_node_get_kind (value) == CMDB_YAML_NODE_SEQUENCE)
        {
          g_string_append_c (out, '\n');
          for (guint k = 0; k < cmdb_yaml_node_get_n_children (value); k++)
            {
              g_autofree char *text = cmdb_metadata_to_text (cmdb_yaml_node_get_item (value, k));

              for (guint j = 0; j < indent; j++)
                g_string_append_c (out, ' ');
              g_string_append_printf (out, "- %s\n", text);
            }
        }
      else if (cmdb_yaml_node_is_null (value))
        g_string_append (out, " null\n");
      else
        g_string_append_printf (out, " %s\n", cmdb_yaml_node_get_scalar (value));
    }
}

char *
cmdb_metadata_to_text (const CmdbYamlNode *node)
{
  GString *out;

  if (node == NULL || cmdb_yaml_node_is_null (node))
    return g_strdup ("");
  switch (cmdb_yaml_node_get_kind (node))
    {
      case CMDB_YAML_NODE_SCALAR:
        return g_strdup (cmdb_yaml_node_get_scalar (node));
      case CMDB_YAML_NODE_SEQUENCE:
        out = g_string_new (NULL);
        for (guint i = 0; i < cmdb_yaml_node_get_n_children (node); i++)
          {
            g_autofree char *text = cmdb_metadata_to_text (cmdb_yaml_node_get_item (node, i));

            if (i > 0)
              g_string_append (out, ", ");
            g_string_append (out, text);
          }
        return g_string_free (out, FALSE);
      case CMDB_YAML_NODE_MAPPING:
      default:
        out = g_string_new (NULL);
        metadata_to_yaml (node, out, 0);
        if (out->len > 0 && out->str[out->len - 1] == '\n')
          g_string_truncate (out, out->len - 1);
        return g_string_free (out, FALSE);
    }
}

GPtrArray *
cmdb_metadata_to_strings (const CmdbYamlNode *node)
{
  GPtrArray *strings = g_ptr_array_new_with_free_func (g_free);

  if (node == NULL || cmdb_yaml_node_is_null (node))
    return strings;
  if (cmdb_yaml_node_get_kind (node) == CMDB_YAML_NODE_SCALAR)
    g_ptr_array_add (strings, g_strdup (cmdb_yaml_node_get_scalar (node)));
  else if (cmdb_yaml_node_get_kind (node) == CMDB_YAML_NODE_SEQUENCE)
    for (guint i = 0; i < cmdb_yaml_node_get_n_children (node); i++)
      {
        const CmdbYamlNode *item = cmdb_yaml_node_get_item (node, i);

        if (cmdb_yaml_node_get_kind (item) == CMDB_YAML_NODE_SCALAR
            && !cmdb_yaml_node_is_null (item))
          g_ptr_array_add (strings, g_strdup (cmdb_yaml_node_get_scalar (item)));
      }
  return strings;
}

char *
cmdb_fill_template (const char *template_text, const CmdbYamlNode *map, const char *whole_text)
{
  GString *out = g_string_new (NULL);

  for (const char *p = template_text; *p != '\0'; p++)
    {
      const char *close;

      if ((p[0] == '{' && p[1] == '{') || (p[0] == '}' && p[1] == '}'))
        {
          g_string_append_c (out, *p);
          p++;
          continue;
        }
      if (*p != '{' || (close = strchr (p + 1, '}')) == NULL)
        {
          g_string_append_c (out, *p);
          continue;
        }
      {
        g_autofree char *name = g_strndup (p + 1, close - p - 1);
        const CmdbYamlNode *field = NULL;

        if (map != NULL && cmdb_yaml_node_get_kind (map) == CMDB_YAML_NODE_MAPPING)
          field = cmdb_yaml_node_lookup (map, name);
        if (field != NULL)
          {
            g_autofree char *text = cmdb_metadata_to_text (field);

            g_string_append (out, text);
          }
        else if (g_str_equal (name, "value") && whole_text != NULL)
          g_string_append (out, whole_text);
        else
          g_string_append (out, "-");
        p = close;
      }
    }
  return g_string_free (out, FALSE);
}

guint
cmdb_edit_distance (const char *a, const char *b)
{
  gsize n = strlen (a), m = strlen (b);
  g_autofree guint *row = g_new (guint, m + 1);

  for (gsize j = 0; j <= m; j++)
    row[j] = j;
  for (gsize i = 1; i <= n; i++)
    {
      guint diagonal = row[0];

      row[0] = i;
      for (gsize j = 1; j <= m; j++)
        {
          guint above = row[j];
          guint cost = a[i - 1] == b[j - 1] ? 0 : 1;

          row[j] = MIN (MIN (row[j] + 1, row[j - 1] + 1), diagonal + cost);
          diagonal = above;
        }
    }
  return row[m];
}

char *
cmdb_format_double (double value)
{
  char buffer[G_ASCII_DTOSTR_BUF_SIZE];
  char digits[32];
  int exponent, n_digits = 0;
  const char *p;
  GString *out;
  gboolean negative;

  if (isnan (value))
    return g_strdup ("nan");
  if (isinf (value))
    return g_strdup (value > 0 ? "inf" : "-inf");
  if (value == 0.0)
    return g_strdup (signbit (value) ? "-0.0" : "0.0");

  /* The fewest significant digits that read back as the same double. */
  for (int precision = 1; precision <= 17; precision++)
    {
      char format[16];

      g_snprintf (format, sizeof format, "%%.%de", precision - 1);
      g_ascii_formatd (buffer, sizeof buffer, format, value);
      if (g_ascii_strtod (buffer, NULL) == value)
        break;
    }
  negative = buffer[0] == '-';
  for (p = buffer + (negative ? 1 : 0); *p != 'e' && *p != '\0'; p++)
    if (g_ascii_isdigit (*p))
      digits[n_digits++] = *p;
  exponent = *p == 'e' ? atoi (p + 1) : 0;
  while (n_digits > 1 && digits[n_digits - 1] == '0')
    n_digits--;
  digits[n_digits] = '\0';

  /* Python's repr: scientific below 1e-4 and from 1e16 on. */
  out = g_string_new (negative ? "-" : "");
  if (exponent < -4 || exponent >= 16)
    {
      g_string_append_c (out, digits[0]);
      if (n_digits > 1)
        g_string_append_printf (out, ".%s", digits + 1);
      g_string_append_printf (out, "e%c%02d", exponent < 0 ? '-' : '+', ABS (exponent));
    }
  else if (exponent < 0)
    {
      g_string_append (out, "0.");
      for (int i = 0; i < -exponent - 1; i++)
        g_string_append_c (out, '0');
      g_string_append (out, digits);
    }
  else
    {
      for (int i = 0; i <= exponent; i++)
        g_string_append_c (out, i < n_digits ? digits[i] : '0');
      g_string_append_c (out, '.');
      if (n_digits > exponent + 1)
        g_string_append (out, digits + exponent + 1);
      else
        g_string_append_c (out, '0');
    }
  return g_string_free (out, FALSE);
}

char *
cmdb_format_scalar (JsonNode *node)
{
  GType type;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return g_strdup ("");
  if (!JSON_NODE_HOLDS_VALUE (node))
    {
      g_autoptr (JsonGenerator) generator = json_generator_new ();

      json_generator_set_root (generator, node);
      return json_generator_to_data (generator, NULL);
    }
  type = json_node_get_value_type (node);
  if (type == G_TYPE_BOOLEAN)
    return g_strdup (json_node_get_boolean (node) ? "true" : "false");
  if (type == G_TYPE_INT64)
    return g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));
  if (type == G_TYPE_DOUBLE)
    return cmdb_format_double (json_node_get_double (node));
  return g_strdup (json_node_get_string (node));
}

/* A boxed type, so bindings (Python plugins) can hold it. */
G_DEFINE_BOXED_TYPE (CmdbSchema, cmdb_schema, cmdb_schema_ref, cmdb_schema_unref)
