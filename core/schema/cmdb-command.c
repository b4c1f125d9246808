#define G_LOG_DOMAIN "cmdb-schema"

#include "cmdbuilder.h"
#include "schema/cmdb-schema-private.h"

#include <string.h>

/* ---- the Hydra and shell layer used here ----
 *
 * TRANSITION: these follow the rules of docs/hydra-overrides (round-trip
 * quoting, POSIX single quotes); they move to calls into cmdb-hydra.h once
 * the hydra module lands, with the goldens unchanged. */

/* Characters a Hydra value may hold bare and that no one misreads. The
 * original also quoted ':', and where its output was right we keep it. */
static gboolean
hydra_bare_char (char c)
{
  return g_ascii_isalnum (c) || strchr ("_./+-@%$", c) != NULL;
}

static gboolean
hydra_needs_quotes (const char *value)
{
  if (value[0] == '\0')
    return TRUE;
  for (const char *p = value; *p != '\0'; p++)
    if (!hydra_bare_char (*p))
      return TRUE;
  return FALSE;
}

/* TRUE when @value, written bare, would reach the program as a constant
 * (null, a boolean, a number) instead of the string. */
static gboolean
hydra_reads_as_constant (const char *value)
{
  g_autoptr (GRegex) number = NULL;

  if (g_ascii_strcasecmp (value, "null") == 0 || g_ascii_strcasecmp (value, "true") == 0
      || g_ascii_strcasecmp (value, "false") == 0)
    return TRUE;
  /* Over-matching only quotes a string that did not need it, which is harmless. */
  number = g_regex_new ("^[+-]?(inf|nan|[0-9_]*\\.?[0-9_]*([eE][+-]?[0-9_]+)?)$", G_REGEX_CASELESS,
                        0, NULL);
  if (strpbrk (value, "0123456789") == NULL
      && g_ascii_strncasecmp (value + (value[0] == '-' || value[0] == '+'), "inf", 3) != 0
      && g_ascii_strncasecmp (value + (value[0] == '-' || value[0] == '+'), "nan", 3) != 0)
    return FALSE;
  return g_regex_match (number, value, 0, NULL);
}

/* Double quotes that Hydra reads back as exactly @value: backslashes
 * before a quote or at the end are doubled, quotes escaped. */
static char *
hydra_quote (const char *value)
{
  GString *out = g_string_new ("\"");

  for (const char *p = value; *p != '\0';)
    {
      gsize run = 0;

      while (p[run] == '\\')
        run++;
      if (run > 0)
        {
          gboolean before_quote = p[run] == '"' || p[run] == '\0';

          for (gsize i = 0; i < (before_quote ? 2 * run : run); i++)
            g_string_append_c (out, '\\');
          p += run;
          continue;
        }
      if (*p == '"')
        g_string_append (out, "\\\"");
      else
        g_string_append_c (out, *p);
      p++;
    }
  g_string_append_c (out, '"');
  return g_string_free (out, FALSE);
}

/* A value as a Hydra override value. "Text" values (free text typed by the
 * user) are also quoted when bare they would read as a constant. */
static char *
hydra_render_text (const char *value, gboolean text_style)
{
  if (hydra_needs_quotes (value) || (text_style && hydra_reads_as_constant (value)))
    return hydra_quote (value);
  return g_strdup (value);
}

static gboolean
shell_safe_char (char c)
{
  return g_ascii_isalnum (c) || strchr ("_./+-@%:=,", c) != NULL;
}

/* A token as a POSIX shell word: single quotes when anything in it is
 * special to a shell, each ' written '\''. */
static char *
shell_quote (const char *token)
{
  GString *out;
  gboolean safe = token[0] != '\0';

  for (const char *p = token; *p != '\0' && safe; p++)
    safe = shell_safe_char (*p);
  if (safe)
    return g_strdup (token);
  out = g_string_new ("'");
  for (const char *p = token; *p != '\0'; p++)
    if (*p == '\'')
      g_string_append (out, "'\\''");
    else
      g_string_append_c (out, *p);
  g_string_append_c (out, '\'');
  return g_string_free (out, FALSE);
}

GPtrArray *
cmdb_command_split_text (const char *text, GError **error)
{
  g_autoptr (GPtrArray) words = g_ptr_array_new_with_free_func (g_free);
  GString *word = NULL;
  const char *p = text;

  g_return_val_if_fail (text != NULL, NULL);

  while (*p != '\0')
    {
      if (*p == ' ' || *p == '\t' || *p == '\n')
        {
          if (word != NULL)
            g_ptr_array_add (words, g_string_free (g_steal_pointer (&word), FALSE));
          p++;
          continue;
        }
      if (word == NULL)
        word = g_string_new (NULL);
      if (*p == '\'')
        {
          const char *close = strchr (p + 1, '\'');

          if (close == NULL)
            {
              g_set_error (error, CMDB_FORM_ERROR, CMDB_FORM_ERROR_SPLIT,
                           "unbalanced single quote at offset %u", (guint) (p - text));
              g_string_free (word, TRUE);
              return NULL;
            }
          g_string_append_len (word, p + 1, close - p - 1);
          p = close + 1;
        }
      else if (*p == '"')
        {
          const char *open = p++;

          while (*p != '\0' && *p != '"')
            {
              if (*p == '\\' && p[1] != '\0' && strchr ("$`\"\\\n", p[1]) != NULL)
                {
                  if (p[1] != '\n')
                    g_string_append_c (word, p[1]);
                  p += 2;
                  continue;
                }
              g_string_append_c (word, *p++);
            }
          if (*p != '"')
            {
              g_set_error (error, CMDB_FORM_ERROR, CMDB_FORM_ERROR_SPLIT,
                           "unbalanced double quote at offset %u", (guint) (open - text));
              g_string_free (word, TRUE);
              return NULL;
            }
          p++;
        }
      else if (*p == '\\')
        {
          if (p[1] == '\0')
            {
              g_set_error (error, CMDB_FORM_ERROR, CMDB_FORM_ERROR_SPLIT,
                           "a backslash ends the text at offset %u", (guint) (p - text));
              g_string_free (word, TRUE);
              return NULL;
            }
          if (p[1] != '\n')
            g_string_append_c (word, p[1]);
          p += 2;
        }
      else
        g_string_append_c (word, *p++);
    }
  if (word != NULL)
    g_ptr_array_add (words, g_string_free (word, FALSE));
  return g_steal_pointer (&words);
}

/* TRUE when @token reads as a Hydra override: [+|++|~]key[@package][=value]
 * with a dotted/slashed key and, when quoted, a balanced value. */
static gboolean
hydra_check_token (const char *token, char **ret_reason)
{
  g_autoptr (GRegex) key_regex = g_regex_new (
      "^(\\+\\+|\\+|~)?([A-Za-z_$][A-Za-z0-9_$-]*|[0-9]+)([./]([A-Za-z_$][A-Za-z0-9_$-]*|[0-9]+))*"
      "(@[A-Za-z0-9_.$/-]*)?$",
      0, 0, NULL);
  const char *equals = strchr (token, '=');
  g_autofree char *key = equals != NULL ? g_strndup (token, equals - token) : g_strdup (token);
  const char *value = equals != NULL ? equals + 1 : NULL;

  if (!g_regex_match (key_regex, key, 0, NULL))
    {
      *ret_reason = g_strdup_printf ("'%s' is not a Hydra override key", key);
      return FALSE;
    }
  if (value == NULL && key[0] != '~')
    {
      *ret_reason = g_strdup_printf ("'%s' has no '=' and is not a deletion", token);
      return FALSE;
    }
  if (value != NULL && (value[0] == '"' || value[0] == '\''))
    {
      gsize length = strlen (value);
      gsize backslashes = 0;

      for (gsize i = length - 1; i > 0 && value[i - 1] == '\\'; i--)
        backslashes++;
      if (length < 2 || value[length - 1] != value[0] || backslashes % 2 == 1)
        {
          *ret_reason = g_strdup_printf ("the quoted value of '%s' is not closed", key);
          return FALSE;
        }
    }
  return TRUE;
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
    g_autofree char *quoted = hydra_quote (equals + 1);

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

/* The value of a field as the Hydra value text, or NULL for no override. */
static char *
render_value (const CmdbFieldState *field, const char *suffix)
{
  JsonNode *value = field->value;
  const CmdbSchemaElement *element = field->element;

  if (value == NULL || JSON_NODE_HOLDS_NULL (value))
    return NULL;
  if (JSON_NODE_HOLDS_ARRAY (value))
    {
      JsonArray *array = json_node_get_array (value);
      GString *out;

      if (json_array_get_length (array) == 0)
        return NULL;
      out = g_string_new ("[");
      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          g_autofree char *text = cmdb_format_scalar (json_array_get_element (array, i));
          g_autofree char *rendered = hydra_render_text (text, FALSE);

          if (i > 0)
            g_string_append_c (out, ',');
          g_string_append (out, rendered);
        }
      g_string_append_c (out, ']');
      return g_string_free (out, FALSE);
    }
  if (!JSON_NODE_HOLDS_VALUE (value))
    return NULL;
  if (json_node_get_value_type (value) == G_TYPE_STRING)
    {
      g_autofree char *text = g_strconcat (json_node_get_string (value), suffix, NULL);

      if (text[0] == '\0')
        return NULL;
      return hydra_render_text (text, element->type == CMDB_ELEMENT_TEXT_INPUT);
    }
  return cmdb_format_scalar (value);
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

/* "-<architecture>-<decoder>-<encoder>", or "" when the rule does not apply
 * (off, no encoder, resuming). */
static char *
exp_name_suffix (CmdbFormState *state, gboolean enabled)
{
  const char *keys[] = { "architecture", "decoder", "encoder" };
  GString *suffix;

  if (!enabled || string_value (state, "encoder") == NULL || truth_value (state, "resume_training"))
    return g_strdup ("");
  suffix = g_string_new (NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (keys); i++)
    if (string_value (state, keys[i]) != NULL)
      g_string_append_printf (suffix, "-%s", string_value (state, keys[i]));
  return g_string_free (suffix, FALSE);
}

static char *
join_display (GPtrArray *argv)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < argv->len; i++)
    {
      g_autofree char *word = shell_quote (g_ptr_array_index (argv, i));

      if (i > 0)
        g_string_append_c (out, ' ');
      g_string_append (out, word);
    }
  return g_string_free (out, FALSE);
}

/* The launcher and runner on the first line, then one override per line. */
static char *
pretty_display (GPtrArray *argv, guint n_head)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < argv->len; i++)
    {
      g_autofree char *word = shell_quote (g_ptr_array_index (argv, i));

      if (i > 0 && i < n_head)
        g_string_append_c (out, ' ');
      else if (i >= n_head)
        g_string_append (out, " \\\n  ");
      g_string_append (out, word);
    }
  return g_string_free (out, FALSE);
}

CmdbCommand *
cmdb_command_build (CmdbFormState *state, CmdbContext *context, const CmdbCommandOptions *options,
                    GError **error)
{
  g_autoptr (CmdbCommand) command = NULL;
  g_autoptr (GPtrArray) launcher = NULL;
  g_autofree char *suffix = NULL;
  g_autofree char *runner = NULL;
  CmdbSchema *schema;
  GPtrArray *messages;
  const char *profile_key;
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

  /* The preprocessing profile: on every page whose schema has the
   * selector; `none` adds nothing. */
  profile_key = string_value (state, "preprocessing_profile");
  if (profile_key != NULL && !g_str_equal (profile_key, "none"))
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

  suffix = exp_name_suffix (state, options->suffix);
  for (guint i = 0; i < cmdb_form_state_get_n_fields (state); i++)
    {
      const CmdbFieldState *field = cmdb_form_state_get_field (state, i);
      const CmdbSchemaElement *element = field->element;
      g_autofree char *value = NULL;

      if (!field->visible || element->hydra_overrides->len == 0
          || element->type == CMDB_ELEMENT_INFO || element->type == CMDB_ELEMENT_UNKNOWN)
        continue;
      /* The profile brings its own data preset. */
      if (profile != NULL && g_str_equal (element->key, "dataset"))
        continue;
      value = render_value (field, g_str_equal (element->key, "exp_name") ? suffix : "");
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

  if (options->page != NULL)
    {
      JsonObject *values = cmdb_form_state_get_values (state);
      g_autoptr (GPtrArray) problems
          = g_ptr_array_new_with_free_func ((GDestroyNotify) cmdb_problem_free);

      cmdb_page_add_overrides (options->page, context, values, command->overrides);
      cmdb_page_validate (options->page, context, values, problems);
      for (guint i = 0; i < problems->len; i++)
        {
          CmdbProblem *problem = g_ptr_array_index (problems, i);

          g_ptr_array_add (problem->severity == CMDB_SEVERITY_ERROR ? command->errors
                                                                    : command->warnings,
                           g_strdup (problem->message));
        }
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

    if (!g_file_test (resolved, G_FILE_TEST_IS_REGULAR))
      {
        g_set_error (error, CMDB_FORM_ERROR, CMDB_FORM_ERROR_INVALID, "Script not found: %s",
                     runner);
        return FALSE;
      }
  }
  for (guint i = launcher->len + 1; i < argv->len; i++)
    {
      g_autofree char *reason = NULL;

      if (!hydra_check_token (g_ptr_array_index (argv, i), &reason))
        {
          g_set_error (error, CMDB_FORM_ERROR, CMDB_FORM_ERROR_INVALID, "Override %u: %s",
                       i - launcher->len, reason);
          return FALSE;
        }
    }
  return TRUE;
}
