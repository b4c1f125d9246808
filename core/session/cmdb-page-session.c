#define G_LOG_DOMAIN "cmdb-session"

#include "session/cmdb-page-session-private.h"

#include "schema/cmdb-schema-private.h"

#include <string.h>

struct _CmdbPageSession
{
  gint ref_count;
  CmdbHost *host;
  CmdbContext *context;
  CmdbPluginRecord *record; /* owned by the host */
  CmdbPage *page;           /* owned by the host */
  char *schema_path;
  CmdbSchema *schema;
  JsonObject *rules;   /* the page's usable rule defaults */
  GPtrArray *problems; /* CmdbProblem: rule defaults the page got wrong */
};

CmdbPageSession *
cmdb_page_session_open (CmdbHost *host, CmdbContext *context, const char *page_id, GError **error)
{
  g_autoptr (CmdbPageSession) self = NULL;
  CmdbPluginRecord *record;

  g_return_val_if_fail (CMDB_IS_HOST (host), NULL);
  g_return_val_if_fail (CMDB_IS_CONTEXT (context), NULL);
  g_return_val_if_fail (page_id != NULL, NULL);

  record = cmdb_host_lookup (host, page_id);
  if (record == NULL || record->kind != CMDB_PLUGIN_KIND_PAGE)
    {
      g_set_error (error, CMDB_HOST_ERROR, CMDB_HOST_ERROR_NOT_FOUND, "no page %s", page_id);
      return NULL;
    }
  self = g_new0 (CmdbPageSession, 1);
  self->ref_count = 1;
  self->host = g_object_ref (host);
  self->context = g_object_ref (context);
  self->record = record;
  self->page = cmdb_host_activate_page (host, context, page_id, error);
  if (self->page == NULL)
    return NULL;
  self->schema = cmdb_host_load_schema (host, context, page_id, error);
  if (self->schema == NULL)
    return NULL;
  self->schema_path = g_strdup (cmdb_schema_get_path (self->schema));
  self->problems = g_ptr_array_new_with_free_func ((GDestroyNotify) cmdb_problem_free);
  {
    g_autoptr (JsonObject) rules = cmdb_page_get_rules (self->page);
    const char *origin = cmdb_host_get_plugin_file (host, page_id);

    self->rules = cmdb_form_rules_filter (rules, origin != NULL ? origin : record->module_dir,
                                          self->problems);
  }
  return g_steal_pointer (&self);
}

CmdbPageSession *
cmdb_page_session_ref (CmdbPageSession *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  self->ref_count++;
  return self;
}

void
cmdb_page_session_unref (CmdbPageSession *self)
{
  if (self == NULL || --self->ref_count > 0)
    return;
  g_clear_pointer (&self->schema, cmdb_schema_unref);
  g_clear_pointer (&self->rules, json_object_unref);
  g_clear_pointer (&self->problems, g_ptr_array_unref);
  g_free (self->schema_path);
  g_object_unref (self->context);
  g_object_unref (self->host);
  g_free (self);
}

const char *
cmdb_page_session_get_id (CmdbPageSession *self)
{
  return self->record->id;
}

CmdbContext *
cmdb_page_session_get_context (CmdbPageSession *self)
{
  return self->context;
}

CmdbPluginRecord *
cmdb_page_session_get_record (CmdbPageSession *self)
{
  return self->record;
}

CmdbPage *
cmdb_page_session_get_page (CmdbPageSession *self)
{
  return self->page;
}

CmdbSchema *
cmdb_page_session_get_schema (CmdbPageSession *self)
{
  return self->schema;
}

const char *
cmdb_page_session_get_schema_path (CmdbPageSession *self)
{
  return self->schema_path;
}

JsonObject *
cmdb_page_session_get_rules (CmdbPageSession *self)
{
  return self->rules;
}

GPtrArray *
cmdb_page_session_get_problems (CmdbPageSession *self)
{
  return self->problems;
}

/* ---- the experiment-name suffix ---- */

gboolean
cmdb_page_session_has_suffix_option (CmdbPageSession *self)
{
  return self->record->suffix_default;
}

gboolean
cmdb_page_session_get_suffix_default (CmdbPageSession *self)
{
  return cmdb_config_get_bool (cmdb_context_get_config (self->context), "command", "suffix",
                               self->record->suffix_default);
}

gboolean
cmdb_page_session_resolve_suffix (CmdbPageSession *self, int choice)
{
  return choice >= 0 ? choice > 0 : cmdb_page_session_get_suffix_default (self);
}

/* ---- input ---- */

gboolean
cmdb_page_session_set_text (CmdbPageSession *self, CmdbFormInput *input, const char *key,
                            const char *text, GError **error)
{
  return cmdb_form_input_set_text (input, self->schema, key, text, error);
}

static gboolean
listed (JsonArray *keys, const char *key)
{
  for (guint i = 0; i < json_array_get_length (keys); i++)
    {
      JsonNode *item = json_array_get_element (keys, i);

      if (JSON_NODE_HOLDS_VALUE (item) && json_node_get_value_type (item) == G_TYPE_STRING
          && g_str_equal (json_node_get_string (item), key))
        return TRUE;
    }
  return FALSE;
}

CmdbFormInput *
cmdb_page_session_read_json_input (CmdbPageSession *self, JsonObject *request, GError **error)
{
  g_autoptr (CmdbFormInput) input = cmdb_form_input_new ();
  JsonNode *values_node = request != NULL ? json_object_get_member (request, "values") : NULL;
  JsonNode *user_set_node = request != NULL ? json_object_get_member (request, "user_set") : NULL;
  JsonArray *user_set = NULL;
  JsonObject *values;
  g_autoptr (GList) keys = NULL;

  if (values_node == NULL || JSON_NODE_HOLDS_NULL (values_node))
    return g_steal_pointer (&input);
  if (!JSON_NODE_HOLDS_OBJECT (values_node))
    {
      g_set_error_literal (error, CMDB_FORM_ERROR, CMDB_FORM_ERROR_INVALID,
                           "values must be an object of key: value");
      return NULL;
    }
  if (user_set_node != NULL && JSON_NODE_HOLDS_ARRAY (user_set_node))
    user_set = json_node_get_array (user_set_node);
  values = json_node_get_object (values_node);
  keys = json_object_get_members (values);
  for (GList *l = keys; l != NULL; l = l->next)
    {
      const char *key = l->data;
      JsonNode *value = json_object_get_member (values, key);
      gboolean set = user_set == NULL || listed (user_set, key);

      /* Text is read as typed, the same way as a CLI --set. */
      if (JSON_NODE_HOLDS_VALUE (value) && json_node_get_value_type (value) == G_TYPE_STRING)
        {
          if (!cmdb_form_input_set_text (input, self->schema, key, json_node_get_string (value),
                                         error))
            return NULL;
          if (!set)
            cmdb_form_input_set (input, key, json_node_copy (cmdb_form_input_get (input, key)),
                                 FALSE);
          continue;
        }
      if (cmdb_schema_lookup (self->schema, key) == NULL)
        {
          /* Fails as a typed value would: naming the closest key. */
          cmdb_form_input_set_text (input, self->schema, key, "", error);
          return NULL;
        }
      cmdb_form_input_set (input, key, json_node_copy (value), set);
    }
  return g_steal_pointer (&input);
}

/* ---- evaluation and command ---- */

CmdbFormInput *
cmdb_page_session_input_for_values (CmdbPageSession *self, JsonObject *values)
{
  CmdbFormInput *input = cmdb_form_input_new ();
  g_autoptr (GList) keys = values != NULL ? json_object_get_members (values) : NULL;

  /* Each round pins what still differs; a pinned architecture changes the
   * defaults of the rest, so a few rounds settle it (one per dependency
   * level: architecture, components, their options). */
  for (guint round = 0; round < 4; round++)
    {
      g_autoptr (CmdbFormState) form
          = cmdb_page_session_evaluate (self, input, CMDB_PAGE_SESSION_FOLLOW);
      gboolean changed = FALSE;

      for (GList *l = keys; l != NULL; l = l->next)
        {
          const char *key = l->data;
          JsonNode *wanted = json_object_get_member (values, key);
          const CmdbFieldState *field = cmdb_form_state_lookup (form, key);

          /* A choice among files found on disk (a checkpoint) is pinned
           * even when it is the default now: a newer file would change it. */
          gboolean found_on_disk = field != NULL && field->element->options_source != NULL
                                   && field->element->filter_by_architecture_key == NULL
                                   && !g_str_equal (key, field->element->architecture_key);

          if (field == NULL || cmdb_form_input_is_user_set (input, key)
              || (!found_on_disk && field->value != NULL && json_node_equal (field->value, wanted)))
            continue;
          /* The architecture alone first: it decides the others' defaults. */
          if (round == 0 && field->element->architecture_key != NULL
              && !g_str_equal (key, field->element->architecture_key)
              && json_object_has_member (values, field->element->architecture_key))
            continue;
          cmdb_form_input_set (input, key, json_node_copy (wanted), TRUE);
          changed = TRUE;
        }
      if (!changed && round > 0)
        break;
    }
  return input;
}

CmdbFormState *
cmdb_page_session_evaluate (CmdbPageSession *self, CmdbFormInput *input, CmdbPageSessionMode mode)
{
  CmdbFormState *form;
  g_autoptr (GPtrArray) problems = NULL;
  g_autoptr (GError) page_error = NULL;

  CmdbFormFlags flags = mode == CMDB_PAGE_SESSION_STRICT
                            ? CMDB_FORM_KEEP_INVALID
                            : CMDB_FORM_KEEP_INVALID | CMDB_FORM_FOLLOW_ARCHITECTURE;
  g_autoptr (JsonObject) inferred = NULL;

  form = cmdb_form_evaluate_with_rules (self->schema, self->context, input, flags, self->rules);
  /* What the page infers (a checkpoint's architecture) fills the keys the
   * user did not set; a key the user set to something else keeps the
   * user's value, with a warning. */
  inferred = cmdb_page_infer_values (self->page, self->context, cmdb_form_state_get_values (form));
  if (inferred != NULL && json_object_get_size (inferred) > 0)
    {
      g_autoptr (CmdbFormInput) filled
          = input != NULL ? cmdb_form_input_copy (input) : cmdb_form_input_new ();
      g_autoptr (GList) keys = json_object_get_members (inferred);
      g_autoptr (GPtrArray) contradictions = g_ptr_array_new_with_free_func (g_free);
      gboolean changed = FALSE;
      gboolean other_architecture = FALSE;

      /* An architecture the user chose over the inferred one takes its own
       * components: those inferred belong to the other architecture. */
      for (GList *l = keys; l != NULL; l = l->next)
        {
          const CmdbFieldState *field = cmdb_form_state_lookup (form, l->data);
          JsonNode *chosen = input != NULL && cmdb_form_input_is_user_set (input, l->data)
                                 ? cmdb_form_input_get (input, l->data)
                                 : NULL;

          if (field != NULL && g_str_equal (l->data, field->element->architecture_key)
              && chosen != NULL
              && !json_node_equal (chosen, json_object_get_member (inferred, l->data)))
            other_architecture = TRUE;
        }
      for (GList *l = keys; l != NULL; l = l->next)
        {
          const char *key = l->data;
          JsonNode *value = json_object_get_member (inferred, key);
          const CmdbFieldState *field = cmdb_form_state_lookup (form, key);

          if (field == NULL || !field->visible
              || (other_architecture && field->element->filter_by_architecture_key != NULL
                  && !cmdb_form_input_is_user_set (input, key)))
            continue;
          if (input != NULL && cmdb_form_input_is_user_set (input, key))
            {
              JsonNode *chosen = cmdb_form_input_get (input, key);
              g_autofree char *inferred_text = cmdb_format_scalar (value);

              if (chosen != NULL && !json_node_equal (chosen, value))
                g_ptr_array_add (contradictions, g_strdup (key)),
                    g_ptr_array_add (contradictions,
                                     g_strdup_printf ("'%s' is set by hand; the checkpoint "
                                                      "comes from a run with '%s'.",
                                                      field->element->label, inferred_text));
              continue;
            }
          if (field->value == NULL || !json_node_equal (field->value, value))
            {
              cmdb_form_input_set (filled, key, json_node_copy (value), TRUE);
              changed = TRUE;
            }
        }
      if (changed)
        {
          cmdb_form_state_unref (form);
          form = cmdb_form_evaluate_with_rules (self->schema, self->context, filled, flags,
                                                self->rules);
        }
      for (guint i = 0; i + 1 < contradictions->len; i += 2)
        cmdb_form_state_add_message (form, CMDB_SEVERITY_WARNING,
                                     g_ptr_array_index (contradictions, i),
                                     g_ptr_array_index (contradictions, i + 1));
    }
  /* The page's own validation, after the schema's rules, under the fields
   * it names: the form and the command then give the same verdict. */
  problems = cmdb_page_validate (self->page, self->context, cmdb_form_state_get_values (form),
                                 &page_error);
  if (problems == NULL)
    {
      g_autofree char *message
          = g_strdup_printf ("The page's validation failed: %s", page_error->message);

      cmdb_form_state_add_message (form, CMDB_SEVERITY_ERROR, NULL, message);
      return form;
    }
  for (guint i = 0; i < problems->len; i++)
    {
      CmdbProblem *problem = g_ptr_array_index (problems, i);

      cmdb_form_state_add_message (form, problem->severity, problem->subject, problem->message);
    }
  return form;
}

CmdbCommand *
cmdb_page_session_build (CmdbPageSession *self, CmdbFormState *form, gboolean suffix,
                         GError **error)
{
  CmdbCommandOptions options = { 0 };

  options.runner = self->record->runner;
  options.suffix = suffix;
  options.page = self->page;
  return cmdb_command_build (form, self->context, &options, error);
}

/* ---- the experiment name ---- */

const char *
cmdb_page_session_get_experiment_key (CmdbPageSession *self, CmdbFormState *form)
{
  return cmdb_form_state_find_role (form, CMDB_ROLE_EXPERIMENT_NAME);
}

char *
cmdb_page_session_get_experiment_name (CmdbPageSession *self, CmdbFormState *form, gboolean suffix)
{
  const char *key = cmdb_page_session_get_experiment_key (self, form);
  const CmdbFieldState *field = key != NULL ? cmdb_form_state_lookup (form, key) : NULL;
  g_autofree char *tail = NULL;

  if (field == NULL || field->value == NULL || !JSON_NODE_HOLDS_VALUE (field->value)
      || json_node_get_value_type (field->value) != G_TYPE_STRING
      || json_node_get_string (field->value)[0] == '\0')
    return NULL;
  tail = cmdb_command_get_name_suffix (form, key, suffix);
  return g_strconcat (json_node_get_string (field->value), tail, NULL);
}

/* ---- the composition check ---------------------------------------------- */

static char *
primary_config_name (CmdbPageSession *self)
{
  g_autofree char *name = cmdb_compose_config_name_for_page (self->context, self->record->id);

  if (!cmdb_compose_has_config (cmdb_context_get_cache (self->context),
                                cmdb_context_get_configs_dir (self->context), name))
    return NULL;
  return g_steal_pointer (&name);
}

CmdbComposeResult *
cmdb_page_session_compose (CmdbPageSession *self, CmdbCommand *command)
{
  g_autofree char *name = primary_config_name (self);

  if (name == NULL)
    return NULL;
  return cmdb_compose_command (self->context, name, command);
}

CmdbComposeResult *
cmdb_page_session_compose_argv (CmdbPageSession *self, GPtrArray *argv)
{
  g_autofree char *name = primary_config_name (self);
  g_autoptr (GPtrArray) launcher = NULL;

  if (name == NULL)
    return NULL;
  launcher = cmdb_command_get_launcher (self->context, NULL);
  if (launcher == NULL || argv->len < launcher->len + 1)
    return NULL;
  for (guint i = 0; i < launcher->len; i++)
    if (g_strcmp0 (g_ptr_array_index (launcher, i), g_ptr_array_index (argv, i)) != 0)
      return NULL;
  return cmdb_compose_argv (self->context, name, argv, launcher->len + 1);
}

/* The key an override token sets: without +, ++, ~, @package and value. */
static char *
override_token_key (const char *token)
{
  const char *start = token;
  gsize length;

  while (*start == '+' || *start == '~')
    start++;
  length = strcspn (start, "=@");
  return g_strndup (start, length);
}

static const char *
field_writing (CmdbSchema *schema, const char *override_key)
{
  for (guint i = 0; i < cmdb_schema_get_n_elements (schema); i++)
    {
      const CmdbSchemaElement *element = cmdb_schema_get_element (schema, i);

      for (guint k = 0; element->hydra_overrides != NULL && k < element->hydra_overrides->len; k++)
        if (g_strcmp0 (g_ptr_array_index (element->hydra_overrides, k), override_key) == 0)
          return element->key;
    }
  return NULL;
}

GPtrArray *
cmdb_page_session_attach_compose (CmdbPageSession *self, CmdbFormState *form,
                                  CmdbComposeResult *compose)
{
  GPtrArray *others = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (JsonNode) json = NULL;
  JsonArray *problems;

  if (compose == NULL || cmdb_compose_result_get_ok (compose))
    return others;
  json = cmdb_compose_result_to_json (compose);
  problems = json_object_get_array_member (json_node_get_object (json), "problems");
  for (guint i = 0; i < json_array_get_length (problems); i++)
    {
      JsonObject *problem = json_array_get_object_element (problems, i);
      const char *override = json_object_get_string_member_with_default (problem, "override", NULL);
      const char *message = json_object_get_string_member (problem, "message");
      const char *hint = json_object_get_string_member_with_default (problem, "hint", NULL);
      g_autofree char *first_line = g_strndup (message, strcspn (message, "\n"));
      g_autofree char *key = override != NULL ? override_token_key (override) : NULL;
      const char *field = key != NULL ? field_writing (self->schema, key) : NULL;
      g_autofree char *text = g_strdup_printf ("Hydra would not compose this: %s%s%s%s", first_line,
                                               hint != NULL ? " (" : "", hint != NULL ? hint : "",
                                               hint != NULL ? ")" : "");

      if (field != NULL && cmdb_form_state_lookup (form, field) != NULL)
        cmdb_form_state_add_message (form, CMDB_SEVERITY_ERROR, field, text);
      else
        g_ptr_array_add (others, override != NULL ? g_strdup_printf ("%s: %s", override, text)
                                                  : g_strdup (text));
    }
  return others;
}
