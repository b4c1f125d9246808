#define G_LOG_DOMAIN "cmdb-sweep"

/* A sweep's comparison: its members with the values that vary, status,
 * exit code, duration and metrics read from each run's log, the best row
 * marked; as JSON (`sweep --json`, the API) and as CSV (`sweep --csv`, the
 * download). docs/sweeps.md, "Comparing results".
 *
 * A metric NAME is read from a run's stdout.log as the last `NAME=NUMBER`
 * or `NAME: NUMBER` where NAME is not part of a longer word; the names come
 * from [metrics] names (default: the demo runners' val_hmean, hmean and
 * train_loss), the best row from [metrics] best (default: the first name)
 * and goal (max or min). */

#include "cmdb-sweep-private.h"
#include "run/cmdb-run-private.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const default_metric_names[] = { "val_hmean", "hmean", "train_loss" };

/* The log's tail read for metrics: epoch lines are near the end, and a log
 * of progress bars may be large. */
#define METRICS_TAIL_BYTES (1024 * 1024)

GPtrArray *
cmdb_sweep_metric_names (CmdbConfig *config)
{
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  GPtrArray *configured = cmdb_config_get_list (config, "metrics", "names");

  for (guint i = 0; configured != NULL && i < configured->len; i++)
    {
      g_autofree char *name = g_strstrip (g_strdup (g_ptr_array_index (configured, i)));

      if (name[0] != '\0')
        g_ptr_array_add (names, g_steal_pointer (&name));
    }
  if (names->len == 0)
    for (guint i = 0; i < G_N_ELEMENTS (default_metric_names); i++)
      g_ptr_array_add (names, g_strdup (default_metric_names[i]));
  return names;
}

/* (transfer full): the tail of @path, at most METRICS_TAIL_BYTES; "" when
 * there is no file yet. Plain POSIX reads: nothing here needs GIO's file
 * machinery (and its modules). */
static char *
read_tail (const char *path)
{
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  struct stat info;
  char *buffer;
  off_t offset = 0;
  gsize size;
  gsize done = 0;

  if (fd < 0)
    return g_strdup ("");
  if (fstat (fd, &info) < 0)
    {
      close (fd);
      return g_strdup ("");
    }
  size = (gsize) MIN (info.st_size, METRICS_TAIL_BYTES);
  offset = info.st_size - (off_t) size;
  buffer = g_malloc (size + 1);
  while (done < size)
    {
      ssize_t n = pread (fd, buffer + done, size - done, offset + (off_t) done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      done += (gsize) n;
    }
  buffer[done] = '\0';
  close (fd);
  return buffer;
}

/* (transfer full): one pattern for every name in @names (group 1 the name,
 * group 2 its number), so that a log is scanned once however many metrics
 * there are, and compiled once per comparison, not per member. */
static GRegex *
metrics_regex_new (GPtrArray *names)
{
  g_autoptr (GString) pattern = g_string_new ("(?<![A-Za-z0-9_])(");

  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *escaped = g_regex_escape_string (g_ptr_array_index (names, i), -1);

      g_string_append_printf (pattern, "%s%s", i > 0 ? "|" : "", escaped);
    }
  g_string_append (pattern,
                   ")\\s*[=:]\\s*([-+]?(?:[0-9]+\\.?[0-9]*|\\.[0-9]+)(?:[eE][-+]?[0-9]+)?)");
  return g_regex_new (pattern->str, G_REGEX_OPTIMIZE | G_REGEX_RAW, 0, NULL);
}

/* The metrics of @run's log with @regex (metrics_regex_new() of @names). */
static JsonObject *
read_metrics (CmdbRun *run, GPtrArray *names, GRegex *regex)
{
  JsonObject *metrics = json_object_new ();
  g_autofree char *path = cmdb_run_get_log_path (run, CMDB_RUN_STREAM_STDOUT);
  g_autofree char *text = read_tail (path);
  /* name -> its last number's text */
  g_autoptr (GHashTable) last = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr (GMatchInfo) match = NULL;

  if (regex == NULL)
    return metrics;
  g_regex_match (regex, text, 0, &match);
  while (g_match_info_matches (match))
    {
      g_hash_table_replace (last, g_match_info_fetch (match, 1), g_match_info_fetch (match, 2));
      g_match_info_next (match, NULL);
    }
  for (guint i = 0; i < names->len; i++)
    {
      const char *name = g_ptr_array_index (names, i);
      const char *number = g_hash_table_lookup (last, name);
      double value;

      if (number == NULL)
        continue;
      value = g_ascii_strtod (number, NULL);
      if (isfinite (value))
        json_object_set_double_member (metrics, name, value);
    }
  return metrics;
}

JsonObject *
cmdb_sweep_read_metrics (CmdbRun *run, GPtrArray *names)
{
  g_autoptr (GRegex) regex = metrics_regex_new (names);

  return read_metrics (run, names, regex);
}

JsonNode *
cmdb_sweep_report (CmdbRunStore *store, CmdbSweep *sweep)
{
  CmdbConfig *config = cmdb_context_get_config (cmdb_run_store_get_context (store));
  g_autoptr (GPtrArray) members = cmdb_sweep_load_members (store, sweep);
  g_autoptr (GPtrArray) names = cmdb_sweep_metric_names (config);
  JsonNode *root = cmdb_sweep_to_json (sweep, members, TRUE);
  JsonObject *object = json_node_get_object (root);
  JsonArray *rows = json_object_get_array_member (object, "members");
  const char *best_name = cmdb_config_get_string (config, "metrics", "best");
  gboolean minimize = g_strcmp0 (cmdb_config_get_string (config, "metrics", "goal"), "min") == 0;
  JsonArray *name_array = json_array_new ();
  JsonObject *best = json_object_new ();
  gint best_index = -1;
  double best_value = 0;
  g_autoptr (GRegex) regex = metrics_regex_new (names);

  if (best_name == NULL || best_name[0] == '\0')
    best_name = g_ptr_array_index (names, 0);
  for (guint i = 0; i < names->len; i++)
    json_array_add_string_element (name_array, g_ptr_array_index (names, i));
  for (guint i = 0; i < members->len; i++)
    {
      CmdbRun *run = g_ptr_array_index (members, i);
      JsonObject *row = json_array_get_object_element (rows, i);
      JsonObject *metrics = run != NULL ? read_metrics (run, names, regex) : json_object_new ();

      if (json_object_has_member (metrics, best_name))
        {
          double value = json_object_get_double_member (metrics, best_name);

          if (best_index < 0 || (minimize ? value < best_value : value > best_value))
            {
              best_index = (gint) i;
              best_value = value;
            }
        }
      json_object_set_object_member (row, "metrics", metrics);
      json_object_set_boolean_member (row, "best", FALSE);
    }
  json_object_set_array_member (object, "metric_names", name_array);
  json_object_set_string_member (best, "metric", best_name);
  json_object_set_string_member (best, "goal", minimize ? "min" : "max");
  if (best_index >= 0)
    {
      JsonObject *row = json_array_get_object_element (rows, (guint) best_index);

      json_object_set_boolean_member (row, "best", TRUE);
      json_object_set_int_member (best, "index", best_index);
      json_object_set_string_member (best, "run", json_object_get_string_member (row, "run"));
      json_object_set_double_member (best, "value", best_value);
    }
  else
    {
      json_object_set_null_member (best, "index");
      json_object_set_null_member (best, "run");
      json_object_set_null_member (best, "value");
    }
  json_object_set_object_member (object, "best", best);
  return root;
}

/* One CSV field: quoted when it holds a comma, a quote or a line break. */
static void
append_field (GString *out, const char *text)
{
  if (text == NULL)
    text = "";
  if (strpbrk (text, ",\"\r\n") == NULL)
    {
      g_string_append (out, text);
      return;
    }
  g_string_append_c (out, '"');
  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == '"')
        g_string_append_c (out, '"');
      g_string_append_c (out, *p);
    }
  g_string_append_c (out, '"');
}

/* A JSON scalar as a CSV field: numbers in the fewest digits that read
 * back the same, strings as they are. */
static char *
scalar_text (JsonNode *node)
{
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return g_strdup ("");
  if (JSON_NODE_HOLDS_VALUE (node))
    switch (json_node_get_value_type (node))
      {
        case G_TYPE_STRING:
          return g_strdup (json_node_get_string (node));
        case G_TYPE_INT64:
          return g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));
        case G_TYPE_DOUBLE:
          return cmdb_sweep_value_text (node); /* the fewest digits that read back */
        case G_TYPE_BOOLEAN:
          return g_strdup (json_node_get_boolean (node) ? "true" : "false");
        default:
          break;
      }
  return json_to_string (node, FALSE);
}

char *
cmdb_sweep_report_to_csv (JsonNode *report)
{
  JsonObject *object = json_node_get_object (report);
  JsonArray *keys = json_object_get_array_member (object, "keys");
  JsonArray *names = json_object_get_array_member (object, "metric_names");
  JsonArray *rows = json_object_get_array_member (object, "members");
  GString *out = g_string_new ("run");

  for (guint k = 0; k < json_array_get_length (keys); k++)
    {
      g_string_append_c (out, ',');
      append_field (out, json_array_get_string_element (keys, k));
    }
  g_string_append (out, ",status,exit");
  for (guint m = 0; m < json_array_get_length (names); m++)
    {
      g_string_append_c (out, ',');
      append_field (out, json_array_get_string_element (names, m));
    }
  g_string_append (out, "\r\n");
  for (guint i = 0; i < json_array_get_length (rows); i++)
    {
      JsonObject *row = json_array_get_object_element (rows, i);
      JsonObject *values = json_object_get_object_member (row, "values");
      JsonObject *metrics = json_object_get_object_member (row, "metrics");
      g_autofree char *exit_text = scalar_text (json_object_get_member (row, "exit_code"));

      append_field (out, json_object_get_string_member (row, "run"));
      for (guint k = 0; k < json_array_get_length (keys); k++)
        {
          const char *key = json_array_get_string_element (keys, k);
          g_autofree char *text
              = scalar_text (values != NULL ? json_object_get_member (values, key) : NULL);

          g_string_append_c (out, ',');
          append_field (out, text);
        }
      g_string_append_c (out, ',');
      append_field (out, json_object_get_string_member (row, "status"));
      g_string_append_c (out, ',');
      append_field (out, exit_text);
      for (guint m = 0; m < json_array_get_length (names); m++)
        {
          const char *name = json_array_get_string_element (names, m);
          g_autofree char *text
              = scalar_text (metrics != NULL ? json_object_get_member (metrics, name) : NULL);

          g_string_append_c (out, ',');
          append_field (out, text);
        }
      g_string_append (out, "\r\n");
    }
  return g_string_free (out, FALSE);
}
