#define G_LOG_DOMAIN "cmdb-schema"

#include "cmdbuilder.h"
#include "schema/cmdb-schema-private.h"

#include <string.h>

/* Quoting, splitting and reading overrides are the hydra module's
 * (cmdb-hydra.h); this file composes commands from them. */

GPtrArray *
cmdb_command_split_text (const char *text, GError **error)
{
  g_auto (GStrv) words = NULL;
  g_autoptr (GError) split_error = NULL;
  GPtrArray *argv;

  g_return_val_if_fail (text != NULL, NULL);

  if (!cmdb_shell_split (text, &words, &split_error))
    {
      g_set_error_literal (error, CMDB_FORM_ERROR, CMDB_FORM_ERROR_SPLIT, split_error->message);
      return NULL;
    }
  argv = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; words[i] != NULL; i++)
    g_ptr_array_add (argv, g_steal_pointer (&words[i]));
  return argv;
}

/* TRUE when @token is an override Hydra accepts for a single run: it
 * parses, its key is not empty, and it is not a sweep (which needs
 * --multirun). Hydra's own flags (-m, --cfg, ...) pass. */
static gboolean
check_override_token (const char *token, gboolean multirun, char **ret_reason)
{
  g_autoptr (GError) error = NULL;
  CmdbHydraOverride *override;
  gboolean ok = TRUE;

  if (token[0] == '-')
    return TRUE;
  override = cmdb_hydra_override_parse (token, &error);
  if (override == NULL)
    {
      *ret_reason = g_strdup (error->message);
      return FALSE;
    }
  if (override->key[0] == '\0')
    {
      *ret_reason = g_strdup_printf ("'%s' has an empty key", token);
      ok = FALSE;
    }
  else if (override->value_type == CMDB_HYDRA_VALUE_SWEEP && !multirun)
    {
      *ret_reason
          = g_strdup_printf ("'%s' is a sweep, which Hydra runs only with --multirun", token);
      ok = FALSE;
    }
  cmdb_hydra_override_free (override);
  return ok;
}

/* Tokens written in schemas and profile files are Hydra syntax already and
 * pass as written, except that an unquoted interpolation is quoted as the
 * original did (Hydra resolves ${...} inside quotes too). */
static char *
normalize_written_token (const char *token)
{
  const char *equals = strchr (token, '=');
  g_autofree char *key = NULL;

  if (equals == NULL || strstr (equals + 1, "${") == NULL || equals[1] == '"' || equals[1] == '\'')
    return g_strdup (token);
  key = g_strndup (token, equals - token);
  {
    g_autofree char *quoted = cmdb_hydra_quote_string (equals + 1);

    return g_strconcat (key, "=", quoted, NULL);
  }
}

/* ---- composition ---- */

CmdbCommand *
cmdb_command_ref (CmdbCommand *command)
{
  g_return_val_if_fail (command != NULL, NULL);
  command->ref_count++;
  return command;
}

void
cmdb_command_unref (CmdbCommand *command)
{
  if (command == NULL || --command->ref_count > 0)
    return;
  g_ptr_array_unref (command->argv);
  g_free (command->display);
  g_free (command->pretty);
  g_ptr_array_unref (command->overrides);
  g_ptr_array_unref (command->constant_overrides);
  g_ptr_array_unref (command->errors);
  g_ptr_array_unref (command->warnings);
  g_free (command);
}

GPtrArray *
cmdb_command_get_launcher (CmdbContext *context, GError **error)
{
  const char *text = context != NULL ? cmdb_config_get_string (cmdb_context_get_config (context),
                                                               "command", "launcher")
                                     : NULL;
  g_autoptr (GError) split_error = NULL;
  GPtrArray *words;

  if (text == NULL)
    text = "uv run python";
  words = cmdb_command_split_text (text, &split_error);
  if (words == NULL)
    {
      g_set_error (error, CMDB_FORM_ERROR, CMDB_FORM_ERROR_INVALID, "[command] launcher: %s: %s",
                   text, split_error->message);
      return NULL;
    }
  if (words->len == 0)
    {
      g_ptr_array_unref (words);
      g_set_error (error, CMDB_FORM_ERROR, CMDB_FORM_ERROR_INVALID, "[command] launcher is empty");
      return NULL;
    }
  return words;
}

static char *
runner_path (CmdbContext *context, const char *runner)
{
  const char *root = cmdb_context_get_root (context);
  const char *runners
      = cmdb_config_get_string (cmdb_context_get_config (context), "command", "runners");

  if (runners == NULL || runners[0] == '\0')
    runners = "runners";
  if (g_path_is_absolute (runners))
    return g_build_filename (runners, runner, NULL);
  return g_build_filename (root, runners, runner, NULL);
}

/* The value of a field as the Hydra value text, or NULL for no override
 * (null, "" and empty lists are omitted; 0 and false are values). Free text
 * keeps its type (a name typed as 1e5 stays a string); picked values are
 * bare as the original wrote them. The suffix joins the plain string before
 * quoting, so it never nests quotes. */
static char *
render_value (const CmdbFieldState *field, const char *suffix)
{
  JsonNode *value = field->value;
  CmdbHydraValueStyle style = field->element->type == CMDB_ELEMENT_TEXT_INPUT
                                  ? CMDB_HYDRA_STYLE_TEXT
                                  : CMDB_HYDRA_STYLE_BARE;

  if (value == NULL || JSON_NODE_HOLDS_NULL (value))
    return NULL;
  if (JSON_NODE_HOLDS_ARRAY (value))
    {
      if (json_array_get_length (json_node_get_array (value)) == 0)
        return NULL;
      return cmdb_hydra_format_value (value, CMDB_HYDRA_STYLE_BARE, NULL);
    }
  if (!JSON_NODE_HOLDS_VALUE (value))
    return NULL;
  if (json_node_get_value_type (value) == G_TYPE_STRING)
    {
      g_autofree char *text = g_strconcat (json_node_get_string (value), suffix, NULL);
      g_autoptr (JsonNode) node = NULL;

      if (text[0] == '\0')
        return NULL;
      node = json_node_init_string (json_node_alloc (), text);
      return cmdb_hydra_format_value (node, style, NULL);
    }
  return cmdb_hydra_format_value (value, style, NULL);
}

static const char *
string_value (CmdbFormState *state, const char *key)
{
  const CmdbFieldState *field = cmdb_form_state_lookup (state, key);

  if (field == NULL || field->value == NULL || !JSON_NODE_HOLDS_VALUE (field->value)
      || json_node_get_value_type (field->value) != G_TYPE_STRING
      || json_node_get_string (field->value)[0] == '\0')
    return NULL;
  return json_node_get_string (field->value);
}

static gboolean
truth_value (CmdbFormState *state, const char *key)
{
  const CmdbFieldState *field = cmdb_form_state_lookup (state, key);

  if (field == NULL || field->value == NULL || !JSON_NODE_HOLDS_VALUE (field->value))
    return FALSE;
  if (json_node_get_value_type (field->value) == G_TYPE_BOOLEAN)
    return json_node_get_boolean (field->value);
  return string_value (state, key) != NULL;
}

/* A rule's list of element keys (nullable: none). */
static JsonArray *
rule_keys (CmdbFormState *state, const char *key, const char *name)
{
  JsonNode *node = cmdb_form_state_get_rule (state, key, name);

  return node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

/* The name_suffix rule of element @key: "-<value>" for each non-empty
 * element it lists, or "" when the rule does not apply (off, none, an
 * element of name_suffix_requires empty, one of name_suffix_unless true). */
static char *
name_suffix (CmdbFormState *state, const char *key, gboolean enabled)
{
  JsonArray *keys = rule_keys (state, key, CMDB_RULE_NAME_SUFFIX);
  JsonArray *requires = rule_keys (state, key, CMDB_RULE_NAME_SUFFIX_REQUIRES);
  JsonArray *unless = rule_keys (state, key, CMDB_RULE_NAME_SUFFIX_UNLESS);
  GString *suffix;

  if (!enabled || keys == NULL)
    return g_strdup ("");
  for (guint i = 0; requires != NULL && i < json_array_get_length (requires); i++)
    if (string_value (state, json_array_get_string_element (requires, i)) == NULL)
      return g_strdup ("");
  for (guint i = 0; unless != NULL && i < json_array_get_length (unless); i++)
    if (truth_value (state, json_array_get_string_element (unless, i)))
      return g_strdup ("");
  suffix = g_string_new (NULL);
  for (guint i = 0; i < json_array_get_length (keys); i++)
    {
      const char *value = string_value (state, json_array_get_string_element (keys, i));

      if (value != NULL)
        g_string_append_printf (suffix, "-%s", value);
    }
  return g_string_free (suffix, FALSE);
}

char *
cmdb_command_get_name_suffix (CmdbFormState *state, const char *key, gboolean enabled)
{
  g_return_val_if_fail (state != NULL && key != NULL, NULL);

  return name_suffix (state, key, enabled);
}

/* The element whose profile_overrides rule is on and whose value names a
 * profile (`none` and empty name none): its key, and the profile key. */
static const char *
profile_selector (CmdbFormState *state, const char **ret_profile_key)
{
  for (guint i = 0; i < cmdb_form_state_get_n_fields (state); i++)
    {
      const CmdbFieldState *field = cmdb_form_state_get_field (state, i);
      JsonNode *rule
          = cmdb_form_state_get_rule (state, field->element->key, CMDB_RULE_PROFILE_OVERRIDES);

      if (rule != NULL && JSON_NODE_HOLDS_VALUE (rule)
          && json_node_get_value_type (rule) == G_TYPE_BOOLEAN && json_node_get_boolean (rule))
        {
          *ret_profile_key = string_value (state, field->element->key);
          if (*ret_profile_key != NULL && g_str_equal (*ret_profile_key, "none"))
            *ret_profile_key = NULL;
          return field->element->key;
        }
    }
  *ret_profile_key = NULL;
  return NULL;
}

/* TRUE when the chosen profile replaces element @key's override. */
static gboolean
replaced_by_profile (CmdbFormState *state, const char *selector, const char *key)
{
  JsonArray *replaces = rule_keys (state, selector, CMDB_RULE_PROFILE_REPLACES);

  for (guint i = 0; replaces != NULL && i < json_array_get_length (replaces); i++)
    if (g_str_equal (json_array_get_string_element (replaces, i), key))
      return TRUE;
  return FALSE;
}

static char *
join_display (GPtrArray *argv)
{
  g_autoptr (GPtrArray) words = g_ptr_array_copy (argv, NULL, NULL);

  /* A copy keeps the free function; these strings still belong to @argv. */
  g_ptr_array_set_free_func (words, NULL);
  g_ptr_array_add (words, NULL);
  return cmdb_shell_join ((const char *const *) words->pdata);
}

/* The launcher and runner on the first line, then one override per line. */
static char *
pretty_display (GPtrArray *argv, guint n_head)
{
  g_autoptr (GPtrArray) words = g_ptr_array_copy (argv, NULL, NULL);

  /* A copy keeps the free function; these strings still belong to @argv. */
  g_ptr_array_set_free_func (words, NULL);
  g_ptr_array_add (words, NULL);
  return cmdb_shell_format_pretty ((const char *const *) words->pdata, n_head);
}

CmdbCommand *
cmdb_command_build (CmdbFormState *state, CmdbContext *context, const CmdbCommandOptions *options,
                    GError **error)
{
  g_autoptr (CmdbCommand) command = NULL;
  g_autoptr (GPtrArray) launcher = NULL;
  g_autofree char *runner = NULL;
  CmdbSchema *schema;
  GPtrArray *messages;
  const char *profile_key;
  const char *profile_selector_key;
  CmdbProfile *profile = NULL;
  g_autoptr (GPtrArray) profiles = NULL;
  guint n_head;

  g_return_val_if_fail (state != NULL, NULL);
  g_return_val_if_fail (CMDB_IS_CONTEXT (context), NULL);
  g_return_val_if_fail (options != NULL && options->runner != NULL, NULL);

  launcher = cmdb_command_get_launcher (context, error);
  if (launcher == NULL)
    return NULL;

  schema = cmdb_form_state_get_schema (state);
  command = g_new0 (CmdbCommand, 1);
  command->ref_count = 1;
  command->argv = g_ptr_array_new_with_free_func (g_free);
  command->overrides = g_ptr_array_new_with_free_func (g_free);
  command->constant_overrides = g_ptr_array_new_with_free_func (g_free);
  command->errors = g_ptr_array_new_with_free_func (g_free);
  command->warnings = g_ptr_array_new_with_free_func (g_free);

  messages = cmdb_form_state_get_messages (state);
  for (guint i = 0; i < messages->len; i++)
    {
      CmdbProblem *problem = g_ptr_array_index (messages, i);

      g_ptr_array_add (problem->severity == CMDB_SEVERITY_ERROR ? command->errors
                                                                : command->warnings,
                       g_strdup (problem->message));
    }

  for (guint i = 0; i < cmdb_schema_get_constant_overrides (schema)->len; i++)
    g_ptr_array_add (command->constant_overrides,
                     normalize_written_token (
                         g_ptr_array_index (cmdb_schema_get_constant_overrides (schema), i)));

  /* The preprocessing profile: on every page whose schema (or page rules)
   * marks a selector with profile_overrides; `none` adds nothing. */
  profile_selector_key = profile_selector (state, &profile_key);
  if (profile_key != NULL)
    {
      g_autoptr (GPtrArray) problems
          = g_ptr_array_new_with_free_func ((GDestroyNotify) cmdb_problem_free);
      g_autoptr (GError) profile_error = NULL;

      profiles = cmdb_context_get_profiles (context, problems, &profile_error);
      for (guint i = 0; profiles != NULL && i < profiles->len; i++)
        if (g_str_equal (((CmdbProfile *) g_ptr_array_index (profiles, i))->key, profile_key))
          profile = g_ptr_array_index (profiles, i);
      if (profile == NULL)
        g_ptr_array_add (command->warnings,
                         g_strdup_printf ("Unknown preprocessing profile '%s'; it adds no "
                                          "overrides.",
                                          profile_key));
    }

  for (guint i = 0; i < cmdb_form_state_get_n_fields (state); i++)
    {
      const CmdbFieldState *field = cmdb_form_state_get_field (state, i);
      const CmdbSchemaElement *element = field->element;
      g_autofree char *value = NULL;
      g_autofree char *suffix = NULL;

      if (!field->visible || element->hydra_overrides->len == 0
          || element->type == CMDB_ELEMENT_INFO || element->type == CMDB_ELEMENT_UNKNOWN)
        continue;
      /* The profile brings its own presets (the data config). */
      if (profile != NULL && replaced_by_profile (state, profile_selector_key, element->key))
        continue;
      suffix = name_suffix (state, element->key, options->suffix);
      value = render_value (field, suffix);
      if (value == NULL)
        continue;
      for (guint j = 0; j < element->hydra_overrides->len; j++)
        g_ptr_array_add (
            command->overrides,
            g_strconcat (g_ptr_array_index (element->hydra_overrides, j), "=", value, NULL));
    }
  for (guint i = 0; profile != NULL && i < profile->overrides->len; i++)
    g_ptr_array_add (command->overrides,
                     normalize_written_token (g_ptr_array_index (profile->overrides, i)));

  /* The page's validation joined the form's when it was evaluated
   * (cmdb_page_validate_form); only its extra overrides are added here. */
  if (options->page != NULL)
    {
      g_autoptr (GError) page_error = NULL;
      g_autoptr (GPtrArray) page_overrides = cmdb_page_add_overrides (
          options->page, context, cmdb_form_state_get_values (state), &page_error);

      if (page_overrides == NULL)
        g_ptr_array_add (command->errors,
                         g_strdup_printf ("The page's overrides failed: %s", page_error->message));
      for (guint i = 0; page_overrides != NULL && i < page_overrides->len; i++)
        g_ptr_array_add (command->overrides, g_strdup (g_ptr_array_index (page_overrides, i)));
    }

  for (guint i = 0; i < launcher->len; i++)
    g_ptr_array_add (command->argv, g_strdup (g_ptr_array_index (launcher, i)));
  runner = runner_path (context, options->runner);
  g_ptr_array_add (command->argv, g_strdup (runner));
  n_head = command->argv->len;
  for (guint i = 0; i < command->constant_overrides->len; i++)
    g_ptr_array_add (command->argv, g_strdup (g_ptr_array_index (command->constant_overrides, i)));
  for (guint i = 0; i < command->overrides->len; i++)
    g_ptr_array_add (command->argv, g_strdup (g_ptr_array_index (command->overrides, i)));

  command->display = join_display (command->argv);
  command->pretty = pretty_display (command->argv, n_head);
  return g_steal_pointer (&command);
}

static void
add_strings (JsonBuilder *builder, const char *name, GPtrArray *strings)
{
  json_builder_set_member_name (builder, name);
  json_builder_begin_array (builder);
  for (guint i = 0; i < strings->len; i++)
    json_builder_add_string_value (builder, g_ptr_array_index (strings, i));
  json_builder_end_array (builder);
}

JsonNode *
cmdb_command_to_json (CmdbCommand *command)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  g_return_val_if_fail (command != NULL, NULL);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "command");
  json_builder_add_string_value (builder, command->display);
  add_strings (builder, "argv", command->argv);
  add_strings (builder, "overrides", command->overrides);
  add_strings (builder, "constant_overrides", command->constant_overrides);
  add_strings (builder, "errors", command->errors);
  add_strings (builder, "warnings", command->warnings);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

gboolean
cmdb_command_check_argv (GPtrArray *argv, CmdbContext *context, GError **error)
{
  g_autoptr (GPtrArray) launcher = NULL;
  const char *runner;
  gboolean multirun = FALSE;

  g_return_val_if_fail (argv != NULL, FALSE);
  g_return_val_if_fail (CMDB_IS_CONTEXT (context), FALSE);

  if (argv->len == 0)
    {
      g_set_error (error, CMDB_FORM_ERROR, CMDB_FORM_ERROR_INVALID, "Empty command");
      return FALSE;
    }
  launcher = cmdb_command_get_launcher (context, error);
  if (launcher == NULL)
    return FALSE;
  for (guint i = 0; i < launcher->len; i++)
    if (i >= argv->len
        || !g_str_equal (g_ptr_array_index (argv, i), g_ptr_array_index (launcher, i)))
      {
        g_autofree char *words = join_display (launcher);

        g_set_error (error, CMDB_FORM_ERROR, CMDB_FORM_ERROR_INVALID,
                     "Command must start with the workspace's launcher '%s'", words);
        return FALSE;
      }
  if (argv->len <= launcher->len)
    {
      g_set_error (error, CMDB_FORM_ERROR, CMDB_FORM_ERROR_INVALID,
                   "Command names no runner after the launcher");
      return FALSE;
    }
  runner = g_ptr_array_index (argv, launcher->len);
  {
    g_autofree char *resolved
        = g_path_is_absolute (runner)
              ? g_strdup (runner)
              : g_build_filename (cmdb_context_get_root (context), runner, NULL);

    /* A cached page view that checked an edited command must notice the
     * script appearing or going away. */
    cmdb_cache_add_dependency (cmdb_context_get_cache (context), resolved);
    if (!g_file_test (resolved, G_FILE_TEST_IS_REGULAR))
      {
        g_set_error (error, CMDB_FORM_ERROR, CMDB_FORM_ERROR_INVALID, "Script not found: %s",
                     runner);
        return FALSE;
      }
  }
  for (guint i = launcher->len + 1; i < argv->len; i++)
    if (g_str_equal (g_ptr_array_index (argv, i), "-m")
        || g_str_equal (g_ptr_array_index (argv, i), "--multirun"))
      multirun = TRUE;
  for (guint i = launcher->len + 1; i < argv->len; i++)
    {
      g_autofree char *reason = NULL;

      if (!check_override_token (g_ptr_array_index (argv, i), multirun, &reason))
        {
          g_set_error (error, CMDB_FORM_ERROR, CMDB_FORM_ERROR_INVALID, "Override %u: %s",
                       i - launcher->len, reason);
          return FALSE;
        }
    }
  return TRUE;
}

GPtrArray *
cmdb_command_get_argv (CmdbCommand *command)
{
  g_return_val_if_fail (command != NULL, NULL);
  return command->argv;
}

const char *
cmdb_command_get_display (CmdbCommand *command)
{
  g_return_val_if_fail (command != NULL, NULL);
  return command->display;
}

const char *
cmdb_command_get_pretty (CmdbCommand *command)
{
  g_return_val_if_fail (command != NULL, NULL);
  return command->pretty;
}

GPtrArray *
cmdb_command_get_overrides (CmdbCommand *command)
{
  g_return_val_if_fail (command != NULL, NULL);
  return command->overrides;
}

GPtrArray *
cmdb_command_get_constant_overrides (CmdbCommand *command)
{
  g_return_val_if_fail (command != NULL, NULL);
  return command->constant_overrides;
}

GPtrArray *
cmdb_command_get_errors (CmdbCommand *command)
{
  g_return_val_if_fail (command != NULL, NULL);
  return command->errors;
}

GPtrArray *
cmdb_command_get_warnings (CmdbCommand *command)
{
  g_return_val_if_fail (command != NULL, NULL);
  return command->warnings;
}

/* A boxed type, so bindings (Python plugins) can hold it. */
G_DEFINE_BOXED_TYPE (CmdbCommand, cmdb_command, cmdb_command_ref, cmdb_command_unref)
