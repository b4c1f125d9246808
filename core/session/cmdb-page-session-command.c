#define G_LOG_DOMAIN "cmdb-session"

/* Reading an edited command text back onto the page's form, so that the
 * text and the form say the same thing (or the form is known not to be in
 * effect, and why). The same Hydra reader as the composition check. */

#include "session/cmdb-page-session-private.h"

#include "schema/cmdb-schema-private.h"

#include <string.h>

void
cmdb_command_reading_free (CmdbCommandReading *reading)
{
  if (reading == NULL)
    return;
  g_clear_pointer (&reading->input, cmdb_form_input_free);
  g_clear_pointer (&reading->extras, g_ptr_array_unref);
  g_clear_pointer (&reading->differences, g_ptr_array_unref);
  g_free (reading->error);
  g_free (reading);
}

/* The element whose override key @key is, or NULL. */
static const CmdbSchemaElement *
owning_element (CmdbSchema *schema, const char *key)
{
  for (guint i = 0; i < cmdb_schema_get_n_elements (schema); i++)
    {
      const CmdbSchemaElement *element = cmdb_schema_get_element (schema, i);

      if (element->type == CMDB_ELEMENT_INFO || element->type == CMDB_ELEMENT_UNKNOWN)
        continue;
      for (guint j = 0; j < element->hydra_overrides->len; j++)
        if (g_str_equal (g_ptr_array_index (element->hydra_overrides, j), key))
          return element;
    }
  return NULL;
}

static gboolean
contains (GPtrArray *strings, const char *text)
{
  for (guint i = 0; i < strings->len; i++)
    if (g_str_equal (g_ptr_array_index (strings, i), text))
      return TRUE;
  return FALSE;
}

/* The tokens after the runner, as the form builds them. */
static GPtrArray *
form_tokens (CmdbCommand *command)
{
  GPtrArray *tokens = g_ptr_array_new ();

  for (guint i = 0; i < command->constant_overrides->len; i++)
    g_ptr_array_add (tokens, g_ptr_array_index (command->constant_overrides, i));
  for (guint i = 0; i < command->overrides->len; i++)
    g_ptr_array_add (tokens, g_ptr_array_index (command->overrides, i));
  return tokens;
}

static guint
head_length (CmdbCommand *command)
{
  return command->argv->len - command->constant_overrides->len - command->overrides->len;
}

/* The value the override gives @element: strings as the plain string
 * (quotes gone), lists as read, the rest as typed text (the schema says
 * what the text is: 7 for an integer, "7" for a name). The experiment name
 * in the text carries the suffix the command adds to it
 * (-architecture-decoder-encoder): the field holds the name without it.
 * Returns (transfer full) the value, or NULL with @error when it does not
 * fit the field. */
static JsonNode *
value_from_override (CmdbPageSession *self, CmdbFormState *before, gboolean suffix,
                     const CmdbSchemaElement *element, const char *token,
                     const CmdbHydraOverride *override, GError **error)
{
  g_autoptr (CmdbFormInput) scratch = cmdb_form_input_new ();
  const char *equals = strchr (token, '=');
  g_autofree char *text = NULL;
  JsonNode *value;

  if (override->value_type == CMDB_HYDRA_VALUE_LIST)
    return json_node_copy (override->value);
  if (override->value_type == CMDB_HYDRA_VALUE_STRING)
    text = g_strdup (json_node_get_string (override->value));
  else
    text = g_strdup (equals + 1);
  if (suffix && g_strcmp0 (element->key, cmdb_page_session_get_experiment_key (self, before)) == 0)
    {
      g_autofree char *tail = cmdb_command_get_name_suffix (before, element->key, TRUE);

      if (tail != NULL && tail[0] != '\0' && strlen (text) > strlen (tail)
          && g_str_has_suffix (text, tail))
        text[strlen (text) - strlen (tail)] = '\0';
    }
  if (!cmdb_page_session_set_text (self, scratch, element->key, text, error))
    return NULL;
  value = cmdb_form_input_get (scratch, element->key);
  return value != NULL ? json_node_copy (value) : json_node_new (JSON_NODE_NULL);
}

/* Sets @element in @input to what the text says, unless the form shows
 * that value already: a value the text merely repeats stays the form's
 * own (not pinned as the user's, so it still follows the architecture). */
static gboolean
set_from_override (CmdbPageSession *self, CmdbFormInput *input, CmdbFormState *before,
                   gboolean suffix, const CmdbSchemaElement *element, const char *token,
                   const CmdbHydraOverride *override, GError **error)
{
  JsonNode *value = value_from_override (self, before, suffix, element, token, override, error);
  const CmdbFieldState *field = cmdb_form_state_lookup (before, element->key);

  if (value == NULL)
    return FALSE;
  if (field != NULL && field->value != NULL && json_node_equal (field->value, value))
    {
      json_node_unref (value);
      return TRUE;
    }
  cmdb_form_input_set (input, element->key, value, TRUE);
  return TRUE;
}

/* Where each word of @argv starts in @text, when it is written there as
 * it is (unquoted); -1 for the others. */
static gssize *
word_offsets (const char *text, GPtrArray *argv)
{
  gssize *offsets = g_new (gssize, argv->len);
  const char *cursor = text;

  for (guint i = 0; i < argv->len; i++)
    {
      const char *word = g_ptr_array_index (argv, i);
      const char *found = word[0] != '\0' ? strstr (cursor, word) : NULL;

      offsets[i] = found != NULL ? found - text : -1;
      if (found != NULL)
        cursor = found + strlen (word);
    }
  return offsets;
}

static void
compare_tokens (CmdbCommandReading *reading, GPtrArray *text_tokens, GPtrArray *built)
{
  g_autoptr (GPtrArray) unmatched = g_ptr_array_copy (built, NULL, NULL);

  for (guint i = 0; i < reading->extras->len; i++)
    g_ptr_array_add (unmatched, g_ptr_array_index (reading->extras, i));
  for (guint i = 0; i < text_tokens->len; i++)
    {
      const char *token = g_ptr_array_index (text_tokens, i);
      guint index;

      if (g_ptr_array_find_with_equal_func (unmatched, token, g_str_equal, &index))
        g_ptr_array_remove_index (unmatched, index);
      else
        g_ptr_array_add (reading->differences,
                         g_strdup_printf ("the text has %s, the form does not", token));
    }
  for (guint i = 0; i < unmatched->len; i++)
    g_ptr_array_add (reading->differences,
                     g_strdup_printf ("the form adds %s, the text does not",
                                      (const char *) g_ptr_array_index (unmatched, i)));
}

CmdbCommandReading *
cmdb_page_session_read_command (CmdbPageSession *self, CmdbFormInput *current, gboolean suffix,
                                const char *text, GError **error)
{
  g_autoptr (CmdbCommandReading) reading = g_new0 (CmdbCommandReading, 1);
  g_autoptr (GPtrArray) argv = NULL;
  g_autoptr (CmdbFormState) before = NULL;
  g_autoptr (CmdbFormState) after = NULL;
  g_autoptr (CmdbCommand) generated = NULL;
  g_autoptr (CmdbCommand) rebuilt = NULL;
  g_autoptr (GPtrArray) before_tokens = NULL;
  g_autoptr (GPtrArray) text_tokens = g_ptr_array_new ();
  g_autoptr (GPtrArray) built = NULL;
  g_autoptr (GError) build_error = NULL;
  g_autofree gssize *offsets = NULL;
  CmdbSchema *schema = cmdb_page_session_get_schema (self);
  guint n_head;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (text != NULL, NULL);

  argv = cmdb_command_split_text (text, error);
  if (argv == NULL)
    return NULL;
  reading->input = current != NULL ? cmdb_form_input_copy (current) : cmdb_form_input_new ();
  reading->extras = g_ptr_array_new_with_free_func (g_free);
  reading->differences = g_ptr_array_new_with_free_func (g_free);
  reading->error_offset = -1;

  before = cmdb_page_session_evaluate (self, reading->input, CMDB_PAGE_SESSION_FOLLOW);
  generated = cmdb_page_session_build (self, before, suffix, &build_error);
  if (generated == NULL)
    {
      g_ptr_array_add (reading->differences, g_strdup (build_error->message));
      return g_steal_pointer (&reading);
    }
  n_head = head_length (generated);
  for (guint i = 0; i < n_head; i++)
    if (i >= argv->len
        || !g_str_equal (g_ptr_array_index (argv, i), g_ptr_array_index (generated->argv, i)))
      {
        g_autofree char *form_head = NULL;
        g_autofree char *text_head = NULL;
        g_autoptr (GPtrArray) head = g_ptr_array_new ();

        for (guint j = 0; j < n_head; j++)
          g_ptr_array_add (head, g_ptr_array_index (generated->argv, j));
        g_ptr_array_add (head, NULL);
        form_head = cmdb_shell_join ((const char *const *) head->pdata);
        g_ptr_array_set_size (head, 0);
        for (guint j = 0; j < MIN (n_head, argv->len); j++)
          g_ptr_array_add (head, g_ptr_array_index (argv, j));
        g_ptr_array_add (head, NULL);
        text_head = cmdb_shell_join ((const char *const *) head->pdata);
        g_ptr_array_add (
            reading->differences,
            g_strdup_printf ("the text runs %s, the form runs %s", text_head, form_head));
        return g_steal_pointer (&reading);
      }

  offsets = word_offsets (text, argv);
  before_tokens = form_tokens (generated);
  for (guint i = n_head; i < argv->len; i++)
    {
      const char *token = g_ptr_array_index (argv, i);
      g_autoptr (CmdbHydraOverride) override = NULL;
      g_autoptr (GError) parse_error = NULL;
      const CmdbSchemaElement *element;

      g_ptr_array_add (text_tokens, (gpointer) token);
      if (contains (generated->constant_overrides, token))
        continue;
      if (token[0] == '-')
        {
          g_ptr_array_add (reading->extras, g_strdup (token));
          continue;
        }
      override = cmdb_hydra_override_parse (token, &parse_error);
      if (override == NULL)
        {
          reading->error
              = g_strdup_printf ("Word %u of the command: %s", i + 1, parse_error->message);
          reading->error_offset = offsets[i];
          return g_steal_pointer (&reading);
        }
      element = override->type == CMDB_HYDRA_OVERRIDE_CHANGE && override->package == NULL
                    ? owning_element (schema, override->key)
                    : NULL;
      if (element != NULL)
        {
          if (!set_from_override (self, reading->input, before, suffix, element, token, override,
                                  &parse_error))
            {
              reading->error = g_strdup_printf ("Word %u of the command (%s): %s", i + 1, token,
                                                parse_error->message);
              reading->error_offset = offsets[i];
              return g_steal_pointer (&reading);
            }
          continue;
        }
      /* The page plugin's own overrides come back with the form's. */
      if (contains (before_tokens, token))
        continue;
      g_ptr_array_add (reading->extras, g_strdup (token));
    }

  after = cmdb_page_session_evaluate (self, reading->input, CMDB_PAGE_SESSION_FOLLOW);
  g_clear_error (&build_error);
  rebuilt = cmdb_page_session_build (self, after, suffix, &build_error);
  if (rebuilt == NULL)
    {
      g_ptr_array_add (reading->differences, g_strdup (build_error->message));
      return g_steal_pointer (&reading);
    }
  built = form_tokens (rebuilt);
  compare_tokens (reading, text_tokens, built);
  reading->in_effect = reading->differences->len == 0;
  return g_steal_pointer (&reading);
}
