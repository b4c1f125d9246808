/* The Predict page: prediction on a checkpoint.
 *
 * Its form, overrides and validation come from its schema (X-Schema in
 * predict.plugin) and the core's schema engine; this module only supplies what
 * is specific to the page: the submission export (spec 1.5). A prediction
 * writes outputs/<experiment>/submissions/<time>.json; the actions below list
 * those files and convert one to the competition's CSV with the workspace's
 * own converter (ocr/utils/convert_submission.py), run with the workspace's
 * launcher as a real subprocess: argv, no shell, 60 s at most. Like every
 * page, it returns data; the core renders it.
 */
#define G_LOG_DOMAIN "cmdb-page-predict"

#include <cmdbuilder/cmdbuilder.h>
#include "cmdb-model-page-rules.h"
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <libpeas/peas.h>
#include <string.h>

#define ACTION_LIST "list-submissions"
#define ACTION_EXPORT "export-csv"
#define CONVERTER "ocr/utils/convert_submission.py"
#define CONVERT_TIMEOUT_SECONDS 60
/* The converter's words shown to the user; more is cut (it prints a line
 * or two, but a broken launcher could print anything). */
#define MAX_OUTPUT_BYTES (64 * 1024)
#define DEFAULT_OUTPUT "submission.csv"

#define CMDB_TYPE_PREDICT_PAGE (cmdb_predict_page_get_type ())
G_DECLARE_FINAL_TYPE (CmdbPredictPage, cmdb_predict_page, CMDB, PREDICT_PAGE, GObject)

struct _CmdbPredictPage
{
  GObject parent_instance;
};

static void cmdb_predict_page_iface_init (CmdbPageInterface *iface);

G_DEFINE_DYNAMIC_TYPE_EXTENDED (CmdbPredictPage, cmdb_predict_page, G_TYPE_OBJECT,
                                G_TYPE_FLAG_FINAL,
                                G_IMPLEMENT_INTERFACE_DYNAMIC (CMDB_TYPE_PAGE,
                                                               cmdb_predict_page_iface_init))

/* ---- parameters ---- */

static const char *
param_string (JsonObject *params, const char *name)
{
  JsonNode *node = params != NULL ? json_object_get_member (params, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static gboolean
param_bool (JsonObject *params, const char *name)
{
  JsonNode *node = params != NULL ? json_object_get_member (params, name) : NULL;

  return node != NULL && JSON_NODE_HOLDS_VALUE (node)
         && json_node_get_value_type (node) == G_TYPE_BOOLEAN && json_node_get_boolean (node);
}

/* @path as the user sees it: relative to the workspace root when inside. */
static char *
display_path (CmdbContext *context, const char *path)
{
  const char *root = cmdb_context_get_root (context);
  gsize length = strlen (root);

  if (g_str_has_prefix (path, root) && path[length] == G_DIR_SEPARATOR)
    return g_strdup (path + length + 1);
  return g_strdup (path);
}

/* Relative paths are the workspace root's, as the converter runs there. */
static char *
resolve_path (CmdbContext *context, const char *path)
{
  if (g_path_is_absolute (path))
    return g_canonicalize_filename (path, NULL);
  return g_canonicalize_filename (path, cmdb_context_get_root (context));
}

/* ---- listing submissions ---- */

typedef struct
{
  char *name;
  char *path;
  gint64 modified; /* microseconds since the epoch */
} Submission;

static void
submission_free (Submission *submission)
{
  g_free (submission->name);
  g_free (submission->path);
  g_free (submission);
}

static int
compare_newest_first (gconstpointer a, gconstpointer b)
{
  const Submission *x = *(const Submission *const *) a;
  const Submission *y = *(const Submission *const *) b;

  if (x->modified != y->modified)
    return x->modified > y->modified ? -1 : 1;
  return g_strcmp0 (y->name, x->name);
}

/* (element-type Submission): the *.json files of @directory, newest first. */
static GPtrArray *
list_submission_files (const char *directory)
{
  GPtrArray *files = g_ptr_array_new_with_free_func ((GDestroyNotify) submission_free);
  g_autoptr (GFile) folder = g_file_new_for_path (directory);
  g_autoptr (GFileEnumerator) children = g_file_enumerate_children (
      folder,
      G_FILE_ATTRIBUTE_STANDARD_NAME "," G_FILE_ATTRIBUTE_STANDARD_TYPE
                                     "," G_FILE_ATTRIBUTE_TIME_MODIFIED
                                     "," G_FILE_ATTRIBUTE_TIME_MODIFIED_USEC,
      G_FILE_QUERY_INFO_NONE, NULL, NULL);
  GFileInfo *info;

  while (children != NULL && (info = g_file_enumerator_next_file (children, NULL, NULL)) != NULL)
    {
      const char *name = g_file_info_get_name (info);

      if (g_file_info_get_file_type (info) == G_FILE_TYPE_REGULAR
          && g_str_has_suffix (name, ".json"))
        {
          Submission *submission = g_new0 (Submission, 1);
          submission->name = g_strdup (name);
          submission->path = g_build_filename (directory, name, NULL);
          submission->modified
              = (gint64) g_file_info_get_attribute_uint64 (info, G_FILE_ATTRIBUTE_TIME_MODIFIED)
                    * G_USEC_PER_SEC
                + g_file_info_get_attribute_uint32 (info, G_FILE_ATTRIBUTE_TIME_MODIFIED_USEC);
          g_ptr_array_add (files, submission);
        }
      g_object_unref (info);
    }
  g_ptr_array_sort (files, compare_newest_first);
  return files;
}

static int
compare_names_reversed (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const char *const *) b, *(const char *const *) a);
}

/* The experiment a finished predict run wrote to (its exp_name), so its
 * newest submission is preselected after the run. */
static const char *
last_run_experiment (JsonObject *params)
{
  JsonNode *node = json_object_get_member (params, "last_run");
  JsonObject *run;
  JsonNode *values;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;
  run = json_node_get_object (node);
  if (g_strcmp0 (param_string (run, "status"), "succeeded") != 0)
    return NULL;
  values = json_object_get_member (run, "values");
  if (values == NULL || !JSON_NODE_HOLDS_OBJECT (values))
    return NULL;
  return param_string (json_node_get_object (values), "exp_name");
}

/* Fills @result with the experiments (outputs/<name>/ holding
 * submissions/, names in reverse order as the original lists them), the
 * chosen experiment and the chosen JSON (newest of the experiment unless
 * @params names one). */
static void
describe_choices (CmdbContext *context, JsonObject *params, JsonObject *result)
{
  const char *outputs = cmdb_context_get_outputs_dir (context);
  g_autoptr (GDir) dir = outputs != NULL ? g_dir_open (outputs, 0, NULL) : NULL;
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  JsonArray *experiments = json_array_new ();
  const char *wanted = param_string (params, "experiment");
  const char *wanted_json = param_string (params, "json_path");
  g_autofree char *wanted_json_full = NULL;
  const char *name;
  const char *chosen = NULL;
  char *chosen_json = NULL;

  if (wanted == NULL || wanted[0] == '\0')
    wanted = last_run_experiment (params);
  if (wanted_json != NULL && wanted_json[0] != '\0')
    wanted_json_full = resolve_path (context, wanted_json);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *submissions = g_build_filename (outputs, name, "submissions", NULL);
      if (g_file_test (submissions, G_FILE_TEST_IS_DIR))
        g_ptr_array_add (names, g_strdup (name));
    }
  g_ptr_array_sort (names, compare_names_reversed);
  for (guint i = 0; i < names->len; i++)
    {
      const char *experiment_name = g_ptr_array_index (names, i);
      g_autofree char *directory = g_build_filename (outputs, experiment_name, "submissions", NULL);
      g_autoptr (GPtrArray) files = list_submission_files (directory);
      JsonObject *experiment = json_object_new ();
      JsonArray *array = json_array_new ();
      gboolean is_chosen = g_strcmp0 (experiment_name, wanted) == 0;

      for (guint j = 0; j < files->len; j++)
        {
          Submission *submission = g_ptr_array_index (files, j);
          JsonObject *file = json_object_new ();
          g_autofree char *shown = display_path (context, submission->path);

          json_object_set_string_member (file, "name", submission->name);
          json_object_set_string_member (file, "path", shown);
          json_object_set_int_member (file, "modified", submission->modified / G_USEC_PER_SEC);
          json_array_add_object_element (array, file);
          if (is_chosen && chosen_json == NULL
              && (wanted_json_full == NULL || g_str_equal (wanted_json_full, submission->path)))
            chosen_json = g_strdup (shown);
        }
      if (is_chosen)
        chosen = experiment_name;
      if (is_chosen && chosen_json == NULL && files->len > 0)
        chosen_json = display_path (context, ((Submission *) g_ptr_array_index (files, 0))->path);
      json_object_set_string_member (experiment, "name", experiment_name);
      json_object_set_array_member (experiment, "submissions", array);
      json_array_add_object_element (experiments, experiment);
    }
  json_object_set_array_member (result, "experiments", experiments);
  if (chosen != NULL)
    json_object_set_string_member (result, "experiment", chosen);
  else
    json_object_set_null_member (result, "experiment");
  if (chosen_json != NULL)
    json_object_set_string_member (result, "json_path", chosen_json);
  else
    json_object_set_null_member (result, "json_path");
  g_free (chosen_json);
  json_object_set_string_member (
      result, "output",
      param_string (params, "output") != NULL ? param_string (params, "output") : DEFAULT_OUTPUT);
  json_object_set_boolean_member (result, "include_confidence",
                                  param_bool (params, "include_confidence"));
}

/* ---- converting ---- */

typedef struct
{
  gboolean done;
  GBytes *out;
  GBytes *err;
  GError *error;
} Communication;

static void
on_communicated (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Communication *communication = user_data;

  g_subprocess_communicate_finish (G_SUBPROCESS (source), result, &communication->out,
                                   &communication->err, &communication->error);
  communication->done = TRUE;
}

static gboolean
on_timeout (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* What the converter said, valid UTF-8 and bounded. */
static char *
output_text (GBytes *bytes)
{
  gsize size = 0;
  const char *data = bytes != NULL ? g_bytes_get_data (bytes, &size) : NULL;
  g_autofree char *text = NULL;

  if (data == NULL)
    return g_strdup ("");
  text = g_utf8_make_valid (data, (gssize) MIN (size, MAX_OUTPUT_BYTES));
  if (size > MAX_OUTPUT_BYTES)
    return g_strconcat (text, "\n[cut: the output was longer]", NULL);
  return g_steal_pointer (&text);
}

static void
set_outcome (JsonObject *result, gboolean ok, const char *message)
{
  json_object_set_boolean_member (result, "ok", ok);
  json_object_set_string_member (result, "message", message);
}

/* Runs @argv in @directory with stdout and stderr captured, at most
 * @timeout_seconds. Its own main context: the caller's loop (the server's)
 * does not run meanwhile, so nothing else can re-enter. */
static gboolean
run_converter (const char *const *argv, const char *directory, guint timeout_seconds,
               JsonObject *result, GError **error)
{
  g_autoptr (GMainContext) context = g_main_context_new ();
  g_autoptr (GSubprocessLauncher) launcher
      = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GSource) timeout = NULL;
  g_autofree char *stdout_text = NULL;
  g_autofree char *stderr_text = NULL;
  Communication communication = { 0 };
  gboolean timed_out = FALSE;

  g_subprocess_launcher_set_cwd (launcher, directory);
  process = g_subprocess_launcher_spawnv (launcher, argv, error);
  if (process == NULL)
    return FALSE;
  g_main_context_push_thread_default (context);
  g_subprocess_communicate_async (process, NULL, NULL, on_communicated, &communication);
  timeout = g_timeout_source_new_seconds (timeout_seconds);
  g_source_set_callback (timeout, on_timeout, &timed_out, NULL);
  g_source_attach (timeout, context);
  while (!communication.done && !timed_out)
    g_main_context_iteration (context, TRUE);
  if (!communication.done)
    {
      /* Killing it closes its pipes, which ends the communication. */
      g_subprocess_force_exit (process);
      while (!communication.done)
        g_main_context_iteration (context, TRUE);
    }
  g_subprocess_wait (process, NULL, NULL);
  g_source_destroy (timeout);
  g_main_context_pop_thread_default (context);

  stdout_text = output_text (communication.out);
  stderr_text = output_text (communication.err);
  g_clear_pointer (&communication.out, g_bytes_unref);
  g_clear_pointer (&communication.err, g_bytes_unref);
  g_clear_error (&communication.error);
  json_object_set_string_member (result, "stdout", stdout_text);
  json_object_set_string_member (result, "stderr", stderr_text);
  if (timed_out)
    {
      g_autofree char *message
          = g_strdup_printf ("Conversion timed out after %u seconds", timeout_seconds);
      json_object_set_boolean_member (result, "timed_out", TRUE);
      set_outcome (result, FALSE, message);
    }
  else if (g_subprocess_get_if_exited (process) && g_subprocess_get_exit_status (process) == 0)
    json_object_set_boolean_member (result, "ok", TRUE);
  else
    {
      int code = g_subprocess_get_if_exited (process) ? g_subprocess_get_exit_status (process)
                                                      : 128 + g_subprocess_get_term_sig (process);
      g_autofree char *message = g_strdup_printf ("Conversion failed with return code %d", code);
      json_object_set_int_member (result, "exit_code", code);
      set_outcome (result, FALSE, message);
    }
  return TRUE;
}

static JsonObject *
export_csv (CmdbContext *context, JsonObject *params, GError **error)
{
  g_autoptr (JsonObject) result = json_object_new ();
  const char *json_path = param_string (params, "json_path");
  const char *output = param_string (params, "output");
  g_autofree char *json_full = NULL;
  g_autofree char *output_full = NULL;
  g_autofree char *converter = NULL;
  g_autoptr (GPtrArray) argv = NULL;
  g_autoptr (GError) launcher_error = NULL;
  g_autofree char *trimmed = NULL;

  describe_choices (context, params, result);
  json_object_set_boolean_member (result, "ok", FALSE);
  trimmed = g_strstrip (g_strdup (output != NULL ? output : ""));
  if (trimmed[0] == '\0')
    {
      set_outcome (result, FALSE, "Please provide a valid output filename");
      return g_steal_pointer (&result);
    }
  if (json_path == NULL || json_path[0] == '\0')
    {
      set_outcome (result, FALSE,
                   "No JSON file available. Select an experiment and a submission file.");
      return g_steal_pointer (&result);
    }
  json_full = resolve_path (context, json_path);
  if (!g_file_test (json_full, G_FILE_TEST_IS_REGULAR))
    {
      g_autofree char *message = g_strdup_printf ("The JSON file %s does not exist", json_path);
      set_outcome (result, FALSE, message);
      return g_steal_pointer (&result);
    }
  output_full = resolve_path (context, output);
  json_object_set_string_member (result, "json_path", json_path);
  json_object_set_string_member (result, "output", output);
  json_object_set_string_member (result, "output_path", output_full);
  /* Ask before overwriting: the user confirms with force. */
  if (g_file_test (output_full, G_FILE_TEST_EXISTS) && !param_bool (params, "force"))
    {
      g_autofree char *message = g_strdup_printf ("%s already exists. Overwrite it?", output);
      json_object_set_boolean_member (result, "needs_confirmation", TRUE);
      set_outcome (result, FALSE, message);
      return g_steal_pointer (&result);
    }
  converter = g_build_filename (cmdb_context_get_root (context), CONVERTER, NULL);
  if (!g_file_test (converter, G_FILE_TEST_IS_REGULAR))
    {
      set_outcome (result, FALSE,
                   "This workspace has no converter (" CONVERTER "): it cannot export CSV");
      return g_steal_pointer (&result);
    }
  argv = cmdb_command_get_launcher (context, &launcher_error);
  if (argv == NULL)
    {
      g_propagate_error (error, g_steal_pointer (&launcher_error));
      return NULL;
    }
  g_ptr_array_set_free_func (argv, g_free);
  g_ptr_array_add (argv, g_strdup (CONVERTER));
  g_ptr_array_add (argv, g_strdup ("--json_path"));
  g_ptr_array_add (argv, g_strdup (json_full));
  g_ptr_array_add (argv, g_strdup ("--output_path"));
  g_ptr_array_add (argv, g_strdup (output_full));
  if (param_bool (params, "include_confidence"))
    g_ptr_array_add (argv, g_strdup ("--include_confidence"));
  if (param_bool (params, "force"))
    g_ptr_array_add (argv, g_strdup ("--force"));
  g_ptr_array_add (argv, NULL);
  {
    g_autofree char *shown = g_strjoinv (" ", (char **) argv->pdata);
    json_object_set_string_member (result, "command", shown);
  }
  if (!run_converter ((const char *const *) argv->pdata, cmdb_context_get_root (context),
                      CONVERT_TIMEOUT_SECONDS, result, error))
    {
      /* The launcher itself could not be executed: say so, as a failure. */
      g_autofree char *message = g_strdup_printf ("Unexpected error: %s", (*error)->message);
      g_clear_error (error);
      json_object_set_string_member (result, "stderr", "");
      set_outcome (result, FALSE, message);
      return g_steal_pointer (&result);
    }
  if (json_object_get_boolean_member (result, "ok"))
    {
      g_autofree char *message = g_strdup_printf ("Successfully converted to %s", output);
      GStatBuf info;

      set_outcome (result, TRUE, message);
      if (g_stat (output_full, &info) == 0)
        json_object_set_int_member (result, "size", (gint64) info.st_size);
    }
  return g_steal_pointer (&result);
}

/* ---- the page interface ---- */

static GPtrArray *
predict_list_actions (CmdbPage *page)
{
  GPtrArray *actions = g_ptr_array_new_with_free_func (g_free);

  g_ptr_array_add (actions, g_strdup (ACTION_LIST));
  g_ptr_array_add (actions, g_strdup (ACTION_EXPORT));
  return actions;
}

static JsonObject *
predict_run_action (CmdbPage *page, CmdbContext *context, const char *action_id, JsonObject *params,
                    GError **error)
{
  if (g_strcmp0 (action_id, ACTION_LIST) == 0)
    {
      JsonObject *result = json_object_new ();
      describe_choices (context, params, result);
      return result;
    }
  if (g_strcmp0 (action_id, ACTION_EXPORT) == 0)
    return export_csv (context, params, error);
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "the Predict page has no action %s",
               action_id);
  return NULL;
}

static JsonObject *
predict_get_rules (CmdbPage *page)
{
  return cmdb_model_page_rules_new ();
}

static void
cmdb_predict_page_iface_init (CmdbPageInterface *iface)
{
  iface->get_rules = predict_get_rules;
  iface->list_actions = predict_list_actions;
  iface->run_action = predict_run_action;
}

static void
cmdb_predict_page_class_init (CmdbPredictPageClass *klass)
{
}

static void
cmdb_predict_page_class_finalize (CmdbPredictPageClass *klass)
{
}

static void
cmdb_predict_page_init (CmdbPredictPage *self)
{
}

G_MODULE_EXPORT void peas_register_types (PeasObjectModule *module);

G_MODULE_EXPORT void
peas_register_types (PeasObjectModule *module)
{
  cmdb_predict_page_register_type (G_TYPE_MODULE (module));
  peas_object_module_register_extension_type (module, CMDB_TYPE_PAGE, CMDB_TYPE_PREDICT_PAGE);
}
