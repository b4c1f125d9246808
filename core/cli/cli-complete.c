#define G_LOG_DOMAIN "cmdb-cli"

/* `cmdbuilder __complete WORD...`: the candidates for the last word of a
 * command line (the words after `cmdbuilder`; the last may be empty), one
 * per line. The shell scripts (completion/) only ask this: subcommands and
 * their options come from the same tables as --help, pages, keys, values,
 * use cases, sources and run ids from the workspace, so completion never
 * goes stale. Nothing is printed on errors: a shell falls back to files. */

#include "cli.h"
#include "presets/cmdb-presets-private.h"
#include "run/cmdb-run-private.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

typedef struct
{
  char **words; /* the words before the current one */
  guint n_words;
  const char *current;
  const CmdbCliCommand *command;
  CmdbCliHelp *help; /* the command's options */
} Line;

static void
offer (const char *candidate, const char *current)
{
  if (g_str_has_prefix (candidate, current))
    printf ("%s\n", candidate);
}

static void
offer_all (GPtrArray *candidates, const char *prefix, const char *current)
{
  for (guint i = 0; candidates != NULL && i < candidates->len; i++)
    {
      g_autofree char *candidate
          = g_strconcat (prefix, (const char *) g_ptr_array_index (candidates, i), NULL);
      offer (candidate, current);
    }
}

static const CmdbCliHelpOption *
find_option (Line *line, const char *word)
{
  for (guint i = 0; line->help != NULL && i < line->help->options->len; i++)
    {
      const CmdbCliHelpOption *option = g_ptr_array_index (line->help->options, i);

      if (g_strcmp0 (option->long_name, word) == 0 || g_strcmp0 (option->short_name, word) == 0)
        return option;
    }
  return NULL;
}

/* The positional arguments before the current word (option values skipped). */
static GPtrArray *
positionals (Line *line)
{
  GPtrArray *found = g_ptr_array_new ();

  for (guint i = 1; i < line->n_words; i++)
    {
      const CmdbCliHelpOption *option;

      if (g_str_equal (line->words[i], "--"))
        break;
      if (line->words[i][0] != '-')
        {
          g_ptr_array_add (found, line->words[i]);
          continue;
        }
      option = find_option (line, line->words[i]);
      if (option != NULL && option->takes_value && strchr (line->words[i], '=') == NULL)
        i++;
    }
  return found;
}

/* The value of --NAME (or -S) given earlier on the line, if any. */
static const char *
option_value (Line *line, const char *long_name, const char *short_name)
{
  const char *value = NULL;

  for (guint i = 1; i < line->n_words; i++)
    {
      const char *word = line->words[i];
      gsize length = strlen (long_name);

      if ((g_str_equal (word, long_name) || (short_name && g_str_equal (word, short_name)))
          && i + 1 < line->n_words)
        value = line->words[++i];
      else if (strncmp (word, long_name, length) == 0 && word[length] == '=')
        value = word + length + 1;
    }
  return value;
}

static CmdbCliSession *
open_session (Line *line)
{
  g_auto (CmdbCliCommonOptions) common = { 0 };
  g_autoptr (GPtrArray) configs = g_ptr_array_new ();
  g_autoptr (GPtrArray) schemas = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;

  common.workspace = g_strdup (option_value (line, "--workspace", "-w"));
  for (guint i = 1; i + 1 < line->n_words; i++)
    if (g_str_equal (line->words[i], "--config") || g_str_equal (line->words[i], "-c"))
      g_ptr_array_add (configs, line->words[i + 1]);
    else if (g_str_equal (line->words[i], "--schemas"))
      g_ptr_array_add (schemas, line->words[i + 1]);
  g_ptr_array_add (configs, NULL);
  g_ptr_array_add (schemas, NULL);
  common.schemas = g_strdupv ((char **) schemas->pdata);
  common.config_overrides = g_strdupv ((char **) configs->pdata);
  common.any_directory = TRUE;
  return cmdb_cli_session_open (&common, &error);
}

/* The form as the line sets it so far: the values offered for a key are
 * those its --set neighbours (architecture, ...) leave open. */
static CmdbFormState *
evaluate_line (CmdbPageSession *page_session, Line *line)
{
  g_autoptr (CmdbFormInput) input = cmdb_form_input_new ();

  for (guint i = 1; i + 1 < line->n_words; i++)
    if (g_str_equal (line->words[i], "--set") || g_str_equal (line->words[i], "-s"))
      {
        const char *set = line->words[i + 1];
        const char *equals = strchr (set, '=');
        g_autofree char *key = equals != NULL ? g_strndup (set, equals - set) : NULL;

        if (key != NULL)
          cmdb_page_session_set_text (page_session, input, key, equals + 1, NULL);
      }
  return cmdb_page_session_evaluate (page_session, input, CMDB_PAGE_SESSION_FOLLOW);
}

/* After --set: "KEY=" for each key, or "KEY=VALUE" for the key's choices. */
static void
complete_set (CmdbCliSession *session, Line *line)
{
  g_autoptr (GPtrArray) pages = positionals (line);
  g_autoptr (CmdbPageSession) page_session = NULL;
  g_autoptr (CmdbFormState) state = NULL;
  const char *equals = strchr (line->current, '=');

  if (pages->len == 0)
    return;
  page_session = cmdb_cli_open_usable_page_session (session, g_ptr_array_index (pages, 0), NULL);
  if (page_session == NULL)
    return;
  state = evaluate_line (page_session, line);
  if (equals == NULL)
    {
      for (guint i = 0; i < cmdb_form_state_get_n_fields (state); i++)
        {
          const CmdbSchemaElement *element = cmdb_form_state_get_field (state, i)->element;
          g_autofree char *candidate = g_strconcat (element->key, "=", NULL);

          if (element->type != CMDB_ELEMENT_INFO && element->type != CMDB_ELEMENT_UNKNOWN)
            offer (candidate, line->current);
        }
    }
  else
    {
      g_autofree char *key = g_strndup (line->current, equals - line->current);
      g_autofree char *prefix = g_strconcat (key, "=", NULL);
      const CmdbFieldState *field = cmdb_form_state_lookup (state, key);
      g_autoptr (GPtrArray) values = g_ptr_array_new ();

      if (field == NULL)
        return;
      if (field->options != NULL)
        for (guint i = 0; i < field->options->len; i++)
          g_ptr_array_add (values,
                           ((CmdbSchemaOption *) g_ptr_array_index (field->options, i))->value);
      else if (field->element->type == CMDB_ELEMENT_CHECKBOX)
        {
          g_ptr_array_add (values, "true");
          g_ptr_array_add (values, "false");
        }
      offer_all (values, prefix, line->current);
    }
}

static void
complete_use_cases (CmdbCliSession *session, Line *line)
{
  g_autoptr (GPtrArray) use_cases = cmdb_cli_list_use_cases (session->context);

  for (guint i = 0; i < use_cases->len; i++)
    offer (((CmdbUseCase *) g_ptr_array_index (use_cases, i))->id, line->current);
}

/* The presets of the page named on the line (build/run PAGE --preset). */
static void
complete_presets (CmdbCliSession *session, Line *line)
{
  g_autoptr (GPtrArray) pages = positionals (line);
  g_autoptr (GPtrArray) presets = NULL;

  if (pages->len == 0)
    return;
  presets = cmdb_presets_list (session->context, g_ptr_array_index (pages, 0), NULL);
  for (guint i = 0; i < presets->len; i++)
    offer (((CmdbPreset *) g_ptr_array_index (presets, i))->name, line->current);
}

static void
complete_runs (CmdbCliSession *session, Line *line)
{
  g_autoptr (CmdbRunStore) store = cmdb_run_store_new (session->context);
  g_autoptr (GPtrArray) runs = cmdb_run_store_list (store, NULL, NULL, NULL);

  offer ("last", line->current);
  for (guint i = 0; runs != NULL && i < runs->len; i++)
    offer (cmdb_run_get_id (g_ptr_array_index (runs, i)), line->current);
}

/* Values of options that take a fixed set of words. */
static gboolean
complete_fixed_value (const char *option, const char *current)
{
  static const char *const colors[] = { "auto", "always", "never", NULL };
  static const char *const streams[] = { "both", "stdout", "stderr", NULL };
  static const char *const statuses[] = { "starting", "running", "stopping", "stopped", "succeeded",
                                          "failed",   "lost",    "queued",   NULL };
  static const char *const executors[] = { "local", "slurm", NULL };
  const char *const *words = NULL;

  if (g_str_equal (option, "--color"))
    words = colors;
  else if (g_str_equal (option, "--stream"))
    words = streams;
  else if (g_str_equal (option, "--status"))
    words = statuses;
  else if (g_str_equal (option, "--executor"))
    words = executors;
  for (guint i = 0; words != NULL && words[i] != NULL; i++)
    offer (words[i], current);
  return words != NULL;
}

/* The value of @option (which takes one) being typed. */
static void
complete_option_value (Line *line, const CmdbCliHelpOption *option)
{
  g_autoptr (CmdbCliSession) session = NULL;

  if (complete_fixed_value (option->long_name, line->current))
    return;
  /* Directories, files and free text: left to the shell. */
  if (!g_str_equal (option->long_name, "--set") && !g_str_equal (option->long_name, "--use-case")
      && !g_str_equal (option->long_name, "--page") && !g_str_equal (option->long_name, "--preset"))
    return;
  session = open_session (line);
  if (session == NULL)
    return;
  if (g_str_equal (option->long_name, "--set"))
    complete_set (session, line);
  else if (g_str_equal (option->long_name, "--use-case"))
    complete_use_cases (session, line);
  else if (g_str_equal (option->long_name, "--preset"))
    complete_presets (session, line);
  else
    {
      g_autoptr (GPtrArray) pages = cmdb_cli_list_page_ids (session);
      offer_all (pages, "", line->current);
    }
}

static const char *const plugin_kinds[] = { "page", "registry", "executor", NULL };

static void
complete_positional (Line *line)
{
  const char *name = line->command->name;
  g_autoptr (GPtrArray) before = positionals (line);
  g_autoptr (CmdbCliSession) session = NULL;

  if (before->len > 0)
    return;
  if (g_str_equal (name, "new-plugin"))
    {
      for (guint i = 0; plugin_kinds[i] != NULL; i++)
        if (g_str_has_prefix (plugin_kinds[i], line->current))
          printf ("%s\n", plugin_kinds[i]);
      return;
    }
  session = open_session (line);
  if (session == NULL)
    return;
  if (g_str_equal (name, "build") || g_str_equal (name, "run") || g_str_equal (name, "keys")
      || g_str_equal (name, "presets"))
    {
      g_autoptr (GPtrArray) pages = cmdb_cli_list_page_ids (session);
      offer_all (pages, "", line->current);
    }
  else if (g_str_equal (name, "options"))
    {
      g_autoptr (GPtrArray) sources = cmdb_cli_list_source_ids (session);
      offer_all (sources, "", line->current);
    }
  else if (g_str_equal (name, "logs") || g_str_equal (name, "stop") || g_str_equal (name, "rerun"))
    complete_runs (session, line);
}

int
cmdb_cli_complete (int argc, char **argv)
{
  Line line = { 0 };
  const CmdbCliHelpOption *previous = NULL;
  int null_fd;

  /* Problems met on the way (a broken schema) are not for the prompt. */
  null_fd = open ("/dev/null", O_WRONLY);
  if (null_fd >= 0)
    {
      dup2 (null_fd, STDERR_FILENO);
      close (null_fd);
    }
  cmdb_cli_set_quiet (TRUE);
  line.words = argv + 1;
  line.n_words = argc > 1 ? (guint) argc - 2 : 0;
  line.current = argc > 1 ? argv[argc - 1] : "";

  if (line.n_words == 0)
    {
      g_autoptr (GPtrArray) names = cmdb_cli_list_command_names ();

      offer_all (names, "", line.current);
      offer ("--help", line.current);
      offer ("--version", line.current);
      return 0;
    }
  line.command = cmdb_cli_lookup_command (line.words[0]);
  if (line.command == NULL || line.command->hidden)
    return 0;
  line.help = cmdb_cli_describe_command_help (line.command);

  if (line.n_words >= 2)
    previous = find_option (&line, line.words[line.n_words - 1]);
  if (previous != NULL && previous->takes_value)
    complete_option_value (&line, previous);
  else if (line.current[0] == '-')
    {
      for (guint i = 0; i < line.help->options->len; i++)
        offer (((CmdbCliHelpOption *) g_ptr_array_index (line.help->options, i))->long_name,
               line.current);
    }
  else
    complete_positional (&line);
  cmdb_cli_help_free (line.help);
  return 0;
}
