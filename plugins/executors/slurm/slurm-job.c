#define G_LOG_DOMAIN "cmdb-slurm"

#include "slurm-job.h"

#include <string.h>

/* The keys in the order their #SBATCH lines are written; each maps to the
 * sbatch option of the same name except gpus (--gpus) which is also that. */
static const char *const option_keys[] = {
  "job-name", "partition", "nodes", "gpus", "cpus-per-task", "mem", "time",
  "account",  "qos",       "extra", NULL,
};
#define N_SCALAR_KEYS (G_N_ELEMENTS (option_keys) - 2)

struct _CmdbSlurmOptions
{
  char *values[N_SCALAR_KEYS];
  GPtrArray *extra; /* (element-type utf8) */
};

CmdbSlurmOptions *
cmdb_slurm_options_new (void)
{
  CmdbSlurmOptions *options = g_new0 (CmdbSlurmOptions, 1);

  options->extra = g_ptr_array_new_with_free_func (g_free);
  return options;
}

void
cmdb_slurm_options_free (CmdbSlurmOptions *options)
{
  if (options == NULL)
    return;
  for (guint i = 0; i < N_SCALAR_KEYS; i++)
    g_free (options->values[i]);
  g_ptr_array_unref (options->extra);
  g_free (options);
}

const char *const *
cmdb_slurm_option_keys (void)
{
  return option_keys;
}

/* The index of @key ('_' read as '-'), N_SCALAR_KEYS for extra, -1 when
 * unknown. */
static int
key_index (const char *key)
{
  g_autofree char *normal = g_strdelimit (g_strdup (key), "_", '-');

  for (guint i = 0; option_keys[i] != NULL; i++)
    if (g_str_equal (normal, option_keys[i]))
      return (int) i;
  return -1;
}

gboolean
cmdb_slurm_options_set (CmdbSlurmOptions *options, const char *key, const char *value,
                        GError **error)
{
  int index = key_index (key);

  if (index < 0)
    {
      g_autofree char *known = g_strjoinv (", ", (char **) option_keys);

      g_set_error (error, CMDB_RUN_ERROR, CMDB_RUN_ERROR_START,
                   "unknown Slurm option '%s' (known: %s)", key, known);
      return FALSE;
    }
  if ((guint) index == N_SCALAR_KEYS)
    {
      if (value != NULL && value[0] != '\0')
        g_ptr_array_add (options->extra, g_strdup (value));
      return TRUE;
    }
  g_free (options->values[index]);
  options->values[index] = value != NULL && value[0] != '\0' ? g_strdup (value) : NULL;
  return TRUE;
}

const char *
cmdb_slurm_options_get (CmdbSlurmOptions *options, const char *key)
{
  int index = key_index (key);

  g_return_val_if_fail (index >= 0 && (guint) index < N_SCALAR_KEYS, NULL);
  return options->values[index];
}

void
cmdb_slurm_options_load_config (CmdbSlurmOptions *options, CmdbConfig *config)
{
  GPtrArray *extra;

  for (guint i = 0; i < N_SCALAR_KEYS; i++)
    {
      const char *value;

      /* job-name is not a configuration key: it defaults per run. */
      if (g_str_equal (option_keys[i], "job-name"))
        continue;
      value = cmdb_config_get_string (config, "slurm", option_keys[i]);
      if (value != NULL)
        cmdb_slurm_options_set (options, option_keys[i], value, NULL);
    }
  extra = cmdb_config_get_list (config, "slurm", "extra");
  for (guint i = 0; i < extra->len; i++)
    cmdb_slurm_options_set (options, "extra", g_ptr_array_index (extra, i), NULL);
}

/* (transfer full) (nullable): a JSON scalar as text. */
static char *
scalar_text (JsonNode *node)
{
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return NULL;
  switch (json_node_get_value_type (node))
    {
      case G_TYPE_STRING:
        return g_strdup (json_node_get_string (node));
      case G_TYPE_INT64:
        return g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));
      case G_TYPE_BOOLEAN:
        return g_strdup (json_node_get_boolean (node) ? "true" : "false");
      default:
        return NULL;
    }
}

gboolean
cmdb_slurm_options_apply_json (CmdbSlurmOptions *options, JsonObject *object, GError **error)
{
  JsonObjectIter iter;
  const char *name;
  JsonNode *member;

  json_object_iter_init (&iter, object);
  while (json_object_iter_next (&iter, &name, &member))
    {
      if (JSON_NODE_HOLDS_NULL (member))
        {
          if (!cmdb_slurm_options_set (options, name, NULL, error))
            return FALSE;
        }
      else if (JSON_NODE_HOLDS_ARRAY (member) && key_index (name) == (int) N_SCALAR_KEYS)
        {
          JsonArray *array = json_node_get_array (member);

          for (guint i = 0; i < json_array_get_length (array); i++)
            {
              g_autofree char *text = scalar_text (json_array_get_element (array, i));

              cmdb_slurm_options_set (options, name, text, NULL);
            }
        }
      else
        {
          g_autofree char *text = scalar_text (member);

          if (text == NULL && key_index (name) >= 0)
            {
              g_set_error (error, CMDB_RUN_ERROR, CMDB_RUN_ERROR_START,
                           "Slurm option '%s': expected a string or a number", name);
              return FALSE;
            }
          if (!cmdb_slurm_options_set (options, name, text, error))
            return FALSE;
        }
    }
  return TRUE;
}

static gboolean
matches (const char *pattern, const char *text)
{
  return g_regex_match_simple (pattern, text, 0, 0);
}

/* (transfer full) (nullable): what is wrong with @value for @key, or NULL. */
static char *
check_value (const char *key, const char *value, const char *const *known_partitions)
{
  if (strpbrk (value, "\n\r\"") != NULL)
    return g_strdup ("must be one line without '\"'");
  if (g_str_equal (key, "nodes") && !matches ("^[1-9][0-9]*(-[1-9][0-9]*)?$", value))
    return g_strdup_printf ("expected a positive whole number (or MIN-MAX), got '%s'", value);
  if (g_str_equal (key, "cpus-per-task") && !matches ("^[1-9][0-9]*$", value))
    return g_strdup_printf ("expected a positive whole number, got '%s'", value);
  if (g_str_equal (key, "gpus") && !matches ("^([A-Za-z0-9_.-]+:)?[1-9][0-9]*$", value))
    return g_strdup_printf (
        "expected a positive count, optionally after a type (2, a100:2), got '%s'", value);
  if (g_str_equal (key, "mem") && !matches ("^[1-9][0-9]*[KMGTkmgt]?$", value))
    return g_strdup_printf (
        "expected a positive size with an optional unit K, M, G or T (16G), got '%s'", value);
  if (g_str_equal (key, "time")
      && !matches ("^(UNLIMITED|INFINITE|[0-9]+(:[0-9]{1,2}){0,2}|[0-9]+-[0-9]+(:[0-9]{1,2}){0,"
                   "2})$",
                   value))
    return g_strdup_printf ("expected MINUTES, MINUTES:SECONDS, HOURS:MINUTES:SECONDS, "
                            "DAYS-HOURS, DAYS-HOURS:MINUTES or DAYS-HOURS:MINUTES:SECONDS, got "
                            "'%s'",
                            value);
  if (g_str_equal (key, "partition"))
    {
      g_auto (GStrv) names = g_strsplit (value, ",", -1);

      for (guint i = 0; names[i] != NULL; i++)
        if (!matches ("^[A-Za-z0-9_.-]+$", names[i]))
          return g_strdup_printf ("'%s' is not a partition name", names[i]);
        else if (known_partitions != NULL && !g_strv_contains (known_partitions, names[i]))
          {
            g_autofree char *known = g_strjoinv (", ", (char **) known_partitions);

            return g_strdup_printf ("the cluster has no partition '%s' (it has: %s)", names[i],
                                    known[0] != '\0' ? known : "none");
          }
    }
  return NULL;
}

JsonObject *
cmdb_slurm_options_check (CmdbSlurmOptions *options, const char *const *known_partitions)
{
  JsonObject *problems = json_object_new ();

  for (guint i = 0; i < N_SCALAR_KEYS; i++)
    if (options->values[i] != NULL)
      {
        g_autofree char *problem
            = check_value (option_keys[i], options->values[i], known_partitions);
        if (problem != NULL)
          json_object_set_string_member (problems, option_keys[i], problem);
      }
  for (guint i = 0; i < options->extra->len; i++)
    if (strpbrk (g_ptr_array_index (options->extra, i), "\n\r") != NULL)
      json_object_set_string_member (problems, "extra", "each line must be one line");
  return problems;
}

gboolean
cmdb_slurm_options_validate (CmdbSlurmOptions *options, const char *const *known_partitions,
                             GError **error)
{
  g_autoptr (JsonObject) problems = cmdb_slurm_options_check (options, known_partitions);
  g_autoptr (GString) text = g_string_new (NULL);
  g_autoptr (GList) keys = json_object_get_members (problems);

  if (keys == NULL)
    return TRUE;
  /* In #SBATCH order: the members were added in that order. */
  for (GList *l = keys; l != NULL; l = l->next)
    g_string_append_printf (text, "\n  %s: %s", (const char *) l->data,
                            json_object_get_string_member (problems, l->data));
  g_set_error (error, CMDB_RUN_ERROR, CMDB_RUN_ERROR_START, "invalid Slurm options:%s", text->str);
  return FALSE;
}

JsonObject *
cmdb_slurm_options_to_json (CmdbSlurmOptions *options)
{
  JsonObject *object = json_object_new ();
  JsonArray *extra = json_array_new ();

  for (guint i = 0; i < N_SCALAR_KEYS; i++)
    if (options->values[i] != NULL)
      json_object_set_string_member (object, option_keys[i], options->values[i]);
  for (guint i = 0; i < options->extra->len; i++)
    json_array_add_string_element (extra, g_ptr_array_index (options->extra, i));
  json_object_set_array_member (object, "extra", extra);
  return object;
}

/* An #SBATCH value: sbatch splits directive lines like a shell, so values
 * with blanks are double-quoted; '"' and line breaks cannot be written. */
static gboolean
append_directive (GString *script, const char *option, const char *value, GError **error)
{
  if (strpbrk (value, "\"\n\r") != NULL)
    {
      g_set_error (error, CMDB_RUN_ERROR, CMDB_RUN_ERROR_START,
                   "cannot write %s in an #SBATCH line: '%s' holds a '\"' or a line break", option,
                   value);
      return FALSE;
    }
  if (strpbrk (value, " \t'") != NULL)
    g_string_append_printf (script, "#SBATCH %s=\"%s\"\n", option, value);
  else
    g_string_append_printf (script, "#SBATCH %s=%s\n", option, value);
  return TRUE;
}

/* sbatch expands %j, %u, ... in --output and --error: a literal '%' is '%%'. */
static char *
escape_percent (const char *path)
{
  g_autoptr (GString) escaped = g_string_new (NULL);

  for (const char *at = path; *at != '\0'; at++)
    {
      if (*at == '%')
        g_string_append_c (escaped, '%');
      g_string_append_c (escaped, *at);
    }
  return g_string_free (g_steal_pointer (&escaped), FALSE);
}

/* The #SBATCH lines of the options' keys, in order. */
static gboolean
append_option_directives (GString *script, CmdbSlurmOptions *options, GError **error)
{
  for (guint i = 0; i < N_SCALAR_KEYS; i++)
    if (options->values[i] != NULL)
      {
        g_autofree char *option = g_strconcat ("--", option_keys[i], NULL);

        if (!append_directive (script, option, options->values[i], error))
          return FALSE;
      }
  return TRUE;
}

/* The "extra" lines, verbatim (#SBATCH added when missing). */
static void
append_extra_lines (GString *script, CmdbSlurmOptions *options)
{
  for (guint i = 0; i < options->extra->len; i++)
    {
      const char *line = g_ptr_array_index (options->extra, i);

      if (g_str_has_prefix (line, "#SBATCH"))
        g_string_append_printf (script, "%s\n", line);
      else
        g_string_append_printf (script, "#SBATCH %s\n", line);
    }
}

char *
cmdb_slurm_render_script (CmdbSlurmOptions *options, const char *run_id, const char *run_directory,
                          const char *working_directory, const char *const *argv, GError **error)
{
  g_autoptr (GString) script = g_string_new ("#!/bin/bash\n");
  g_autofree char *stdout_path = g_build_filename (run_directory, "stdout.log", NULL);
  g_autofree char *stderr_path = g_build_filename (run_directory, "stderr.log", NULL);
  g_autofree char *stdout_escaped = escape_percent (stdout_path);
  g_autofree char *stderr_escaped = escape_percent (stderr_path);
  g_autofree char *quoted_directory = cmdb_shell_quote (run_directory);
  g_autofree char *quoted_workspace = cmdb_shell_quote (working_directory);
  g_autofree char *command = cmdb_shell_join (argv);

  if (!append_option_directives (script, options, error))
    return NULL;
  /* The job writes straight into the run's logs: the workspace (and so the
   * run directory) is on a filesystem the compute nodes share. */
  if (!append_directive (script, "--output", stdout_escaped, error)
      || !append_directive (script, "--error", stderr_escaped, error))
    return NULL;
  append_extra_lines (script, options);
  g_string_append_printf (
      script,
      "\n"
      "# Written by cmdbuilder for run %s (docs/slurm.md).\n"
      "# The exit code and the end time are written next to the logs, so the run\n"
      "# is recorded from its directory even when Slurm has forgotten the job.\n"
      "cmdb_run_dir=%s\n"
      "cmdb_now () { date -u +%%Y-%%m-%%dT%%H:%%M:%%S.%%6NZ; }\n"
      "cmdb_record () { printf '%%s\\n' \"$2\" >\"$cmdb_run_dir/$1.tmp\" && mv -f "
      "\"$cmdb_run_dir/$1.tmp\" \"$cmdb_run_dir/$1\"; }\n"
      "trap 'cmdb_record " CMDB_SLURM_EXIT_NAME " \"$? $(cmdb_now)\"' EXIT\n"
      "trap 'exit 143' TERM\n"
      "trap 'exit 130' INT\n"
      "cmdb_record " CMDB_SLURM_STARTED_NAME " \"$(cmdb_now)\"\n"
      "cd %s || exit 1\n"
      "%s\n",
      run_id, quoted_directory, quoted_workspace, command);
  return g_string_free (g_steal_pointer (&script), FALSE);
}

char *
cmdb_slurm_job_field (const char *text, const char *key)
{
  g_autofree char *needle = g_strconcat (key, "=", NULL);
  const char *at = text;

  while ((at = strstr (at, needle)) != NULL)
    {
      if (at == text || at[-1] == ' ' || at[-1] == '\n')
        {
          const char *value = at + strlen (needle);

          return g_strndup (value, strcspn (value, " \n"));
        }
      at += strlen (needle);
    }
  return NULL;
}

gboolean
cmdb_slurm_parse_job (const char *text, char **ret_state, int *ret_exit_code)
{
  g_autofree char *state = cmdb_slurm_job_field (text, "JobState");
  g_autofree char *exit_code = cmdb_slurm_job_field (text, "ExitCode");
  int code = -1;

  if (state == NULL || state[0] == '\0')
    return FALSE;
  if (exit_code != NULL)
    {
      /* EXIT:SIGNAL */
      int status = (int) g_ascii_strtoll (exit_code, NULL, 10);
      const char *colon = strchr (exit_code, ':');
      int signal_number = colon != NULL ? (int) g_ascii_strtoll (colon + 1, NULL, 10) : 0;

      code = signal_number > 0 ? 128 + signal_number : status;
    }
  *ret_state = g_steal_pointer (&state);
  *ret_exit_code = code;
  return TRUE;
}

gboolean
cmdb_slurm_state_is_final (const char *state)
{
  static const char *const final_states[]
      = { "COMPLETED",     "FAILED",    "CANCELLED", "TIMEOUT", "NODE_FAIL",    "PREEMPTED",
          "OUT_OF_MEMORY", "BOOT_FAIL", "DEADLINE",  "REVOKED", "SPECIAL_EXIT", NULL };

  return state != NULL && g_strv_contains (final_states, state);
}

gboolean
cmdb_slurm_state_is_running (const char *state)
{
  static const char *const running_states[]
      = { "RUNNING", "COMPLETING", "SUSPENDED", "STOPPED", "SIGNALING", "STAGE_OUT", NULL };

  return state != NULL && g_strv_contains (running_states, state);
}

gboolean
cmdb_slurm_parse_exit (const char *text, int *ret_exit_code, char **ret_end_time)
{
  g_autofree char *copy = g_strstrip (g_strdup (text));
  g_auto (GStrv) words = g_strsplit (copy, " ", 2);
  char *end = NULL;
  gint64 code;

  if (words[0] == NULL || words[0][0] == '\0')
    return FALSE;
  code = g_ascii_strtoll (words[0], &end, 10);
  if (*end != '\0' || code < 0 || code > 255)
    return FALSE;
  *ret_exit_code = (int) code;
  if (ret_end_time != NULL)
    *ret_end_time = words[1] != NULL && words[1][0] != '\0' ? g_strdup (words[1]) : NULL;
  return TRUE;
}

const char *
cmdb_slurm_summarize_error (const char *tool_stderr)
{
  if (tool_stderr == NULL)
    return "Slurm refused the job";
  if (strstr (tool_stderr, "Unable to contact slurm controller") != NULL
      || strstr (tool_stderr, "Could not establish a configuration source") != NULL
      || strstr (tool_stderr, "Connection refused") != NULL)
    return "the Slurm controller cannot be reached";
  if (strstr (tool_stderr, "nvalid partition") != NULL)
    return "the cluster has no such partition";
  if (strstr (tool_stderr, "nvalid account") != NULL)
    return "the account is not valid on the cluster";
  if (strstr (tool_stderr, "nvalid qos") != NULL || strstr (tool_stderr, "Invalid QOS") != NULL)
    return "the QoS is not valid on the cluster";
  if (strstr (tool_stderr, "Requested node configuration is not available") != NULL
      || strstr (tool_stderr, "can not be satisfied") != NULL)
    return "the cluster cannot satisfy the requested resources";
  return "Slurm refused the job";
}

char *
cmdb_slurm_render_array_script (CmdbSlurmOptions *options, const char *const *run_directories,
                                guint parallel, GError **error)
{
  g_autoptr (GString) script = g_string_new ("#!/bin/bash\n");
  guint n = g_strv_length ((char **) run_directories);
  g_autofree char *array = NULL;

  g_return_val_if_fail (n > 0, NULL);
  if (!append_option_directives (script, options, error))
    return NULL;
  array = parallel > 0 && parallel < n ? g_strdup_printf ("0-%u%%%u", n - 1, parallel)
                                       : g_strdup_printf ("0-%u", n - 1);
  if (!append_directive (script, "--array", array, error)
      || !append_directive (script, "--output", "/dev/null", error)
      || !append_directive (script, "--error", "/dev/null", error))
    return NULL;
  append_extra_lines (script, options);
  g_string_append (script,
                   "\n"
                   "# Written by cmdbuilder for a sweep (docs/sweeps.md): task N runs member N's\n"
                   "# own script (" CMDB_SLURM_SCRIPT_NAME " in its run directory), its output\n"
                   "# going to that run's logs.\n"
                   "case \"$SLURM_ARRAY_TASK_ID\" in\n");
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *quoted = cmdb_shell_quote (run_directories[i]);

      g_string_append_printf (script, "%u) cmdb_run_dir=%s ;;\n", i, quoted);
    }
  g_string_append (script, "*) exit 1 ;;\n"
                           "esac\n"
                           "exec /bin/bash \"$cmdb_run_dir/" CMDB_SLURM_SCRIPT_NAME "\" "
                           ">>\"$cmdb_run_dir/stdout.log\" 2>>\"$cmdb_run_dir/stderr.log\"\n");
  return g_string_free (g_steal_pointer (&script), FALSE);
}

/* TRUE when the ArrayTaskId field @value ("3", "1-3%1", "0,2-4") names
 * @task. */
static gboolean
task_field_names (const char *value, guint task)
{
  g_autofree char *copy = g_strdup (value);
  g_auto (GStrv) parts = NULL;

  copy[strcspn (copy, "%")] = '\0';
  parts = g_strsplit (copy, ",", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      char *dash = strchr (parts[i], '-');
      guint64 low = g_ascii_strtoull (parts[i], NULL, 10);
      guint64 high = dash != NULL ? g_ascii_strtoull (dash + 1, NULL, 10) : low;

      if (parts[i][0] != '\0' && task >= low && task <= high)
        return TRUE;
    }
  return FALSE;
}

char *
cmdb_slurm_array_task_record (const char *text, const char *array_job_id, guint task)
{
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  g_autofree char *array_key = g_strdup_printf ("JobId=%s ", array_job_id);
  const char *whole = NULL;

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autofree char *tasks = cmdb_slurm_job_field (lines[i], "ArrayTaskId");

      if (tasks != NULL && task_field_names (tasks, task))
        return g_strdup (lines[i]);
      if (g_str_has_prefix (lines[i], array_key))
        whole = lines[i];
    }
  /* Pending tasks not split off yet, or cancelled with them: the array's
   * own record speaks for them once no record names the task. */
  return whole != NULL ? g_strdup (whole) : NULL;
}
