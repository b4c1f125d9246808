/* bench-core: in-process benchmarks of the core (driven by bench/run).
 *
 *   bench-core activate WORKSPACE PAGE
 *       One cold activation in this fresh process: plugin load, schema parse,
 *       registry load, and the first evaluation (which lists every source the
 *       schema uses). Prints {"activate_ms": ...}. As in the CLI and the
 *       server, the workspace's config files are read through its parse index
 *       (<state>/parse-index, docs/cache.md): made by the first process, used
 *       by later ones; bench/run measures both.
 *   bench-core loop WORKSPACE PAGE MODE ITERATIONS
 *       MODE warm:        page render (evaluate + build + composition check + HTML) on a
 *                         warm cache
 *       MODE invalidated: the same right after a watched file changed
 *       MODE evaluate:    form evaluation + command build only
 *       Prints {"mode":..., "iterations":..., "p50_us":..., "p99_us":..., "mean_us":...}.
 *   bench-core scan WORKSPACE ITERATIONS
 *       Lists every option source: once cold (first listing in this process,
 *       every file read), then ITERATIONS warm lookups (new cache generation,
 *       every dependency re-validated). Prints {"cold_ms":..., "warm_p50_us":...,
 *       "entries": {source: count}}.
 *   bench-core runs WORKSPACE COUNT ITERATIONS
 *       Writes COUNT ended run records into the workspace's state directory
 *       (the server lists them every second per open page), then lists them
 *       once cold and ITERATIONS times warm (new cache generation each).
 *       Prints {"runs":..., "cold_ms":..., "warm_p50_ms":..., "warm_p99_ms":...}.
 *   bench-core make-runs WORKSPACE COUNT
 *       Only writes the COUNT ended run records (for the idle server benchmark).
 *   bench-core compose WORKSPACE PAGE ITERATIONS
 *       The composition check (core/compose) of the page's default command:
 *       once cold (first composition in this process: every config file read
 *       and parsed), then ITERATIONS times warm (tree cached, new cache
 *       generation each, so every file is re-validated).
 *       Prints {"cold_ms":..., "warm_p50_us":..., "warm_p99_us":..., "ok":...}.
 *
 * Times are CLOCK_MONOTONIC; bench/run also runs `loop` under callgrind for
 * instruction counts, which do not depend on machine load.
 */
#define G_LOG_DOMAIN "cmdb-bench"

#include "cmdbuilder.h"
#include "host/cmdb-host-private.h"
#include "session/cmdb-page-session-private.h"
#include "cmdb-server-private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utime.h>

typedef struct
{
  CmdbConfig *config;
  CmdbCache *cache;
  CmdbContext *context;
  CmdbHost *host;
  CmdbPageSession *session; /* the path the server and the CLI take */
  CmdbPluginRecord *record;
} Bench;

static void
die (const char *what, GError *error)
{
  fprintf (stderr, "bench-core: %s: %s\n", what, error != NULL ? error->message : "failed");
  exit (1);
}

static void
bench_open (Bench *bench, const char *workspace)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *ini = g_build_filename (workspace, "cmdbuilder.ini", NULL);
  g_autofree char *root = NULL;

  bench->config = cmdb_config_new ();
  if (!cmdb_config_merge_file (bench->config, ini, FALSE, &error))
    die ("configuration", error);
  bench->cache = cmdb_cache_new (0);
  root = cmdb_workspace_discover (workspace, &error);
  if (root == NULL)
    die ("workspace", error);
  bench->context = cmdb_context_new (root, bench->config, bench->cache);
  bench->host = cmdb_host_new (bench->config);
  cmdb_host_attach_context (bench->host, bench->context);
}

/* Activation as the server does it on a page's first visit: the page
 * session (activate, schema path, schema) and a first evaluation, in one
 * cache generation as the server's request handler starts one per request
 * (each file stat()ed once, not once per list that depends on it). */
static void
bench_activate (Bench *bench, const char *page_id)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CmdbFormState) state = NULL;

  cmdb_cache_new_generation (bench->cache);
  bench->session = cmdb_page_session_open (bench->host, bench->context, page_id, &error);
  if (bench->session == NULL)
    die ("activation", error);
  bench->record = cmdb_page_session_get_record (bench->session);
  state = cmdb_page_session_evaluate (bench->session, NULL, CMDB_PAGE_SESSION_FOLLOW);
}

/* One page render: what GET /<page> computes. Returns the body size so the
 * compiler cannot drop the work. */
static gsize
render_page (Bench *bench, gboolean html)
{
  g_autoptr (CmdbFormState) state = NULL;
  g_autoptr (CmdbCommand) command = NULL;
  g_autoptr (GError) error = NULL;
  gsize size = 0;

  cmdb_cache_new_generation (bench->cache);
  state = cmdb_page_session_evaluate (bench->session, NULL, CMDB_PAGE_SESSION_FOLLOW);
  command = cmdb_page_session_build (bench->session, state,
                                     cmdb_page_session_get_suffix_default (bench->session), &error);
  if (command == NULL)
    die ("build", error);
  if (html)
    {
      /* A page view includes the composition check of its command, with
       * the problems attached to their fields, as the server does. */
      g_autoptr (CmdbComposeResult) compose = cmdb_page_session_compose (bench->session, command);
      g_autoptr (GPtrArray) compose_errors
          = cmdb_page_session_attach_compose (bench->session, state, compose);
      g_autoptr (JsonNode) form = cmdb_form_state_to_json (state);
      g_autoptr (JsonNode) command_json = cmdb_command_to_json (command);

      if (compose != NULL)
        json_object_set_member (json_node_get_object (command_json), "compose",
                                cmdb_compose_result_to_json (compose));
      CmdbHtmlPageView view = { 0 };
      g_autofree char *body = NULL;

      view.page_id = bench->record->id;
      view.page_title = bench->record->title;
      view.form = json_node_get_object (form);
      view.command = json_node_get_object (command_json);
      view.picker_threshold = 200;
      body = cmdb_html_render_page_body (&view);
      size = strlen (body);
    }
  return size + command->argv->len;
}

static int
compare_doubles (const void *a, const void *b)
{
  double x = *(const double *) a;
  double y = *(const double *) b;

  return (x > y) - (x < y);
}

static double
percentile (double *sorted, guint n, double p)
{
  guint index = (guint) (p * (n - 1) + 0.5);

  return sorted[MIN (index, n - 1)];
}

static const char *const all_sources[] = {
  "models.architectures", "models.optimizers",      "models.encoders", "models.backbones",
  "models.decoders",      "models.heads",           "models.losses",   "datasets",
  "checkpoints",          "preprocessing_profiles",
};

/* Lists every source once; returns the number of entries seen. */
static guint
list_all_sources (Bench *bench, GString *counts)
{
  guint total = 0;

  for (gsize i = 0; i < G_N_ELEMENTS (all_sources); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (CmdbOptionList) list
          = cmdb_context_get_options (bench->context, all_sources[i], &error);
      if (list == NULL)
        die (all_sources[i], error);
      total += list->entries->len;
      if (counts != NULL)
        g_string_append_printf (counts, "%s\"%s\": %u", counts->len > 1 ? ", " : "", all_sources[i],
                                list->entries->len);
    }
  return total;
}

static int
bench_scan (const char *workspace, guint iterations)
{
  Bench bench = { 0 };
  g_autofree double *samples = g_new0 (double, MAX (iterations, 1));
  g_autoptr (GString) counts = g_string_new ("{");
  gint64 start;
  double cold_ms;
  guint sink = 0;

  bench_open (&bench, workspace);
  start = g_get_monotonic_time ();
  sink += list_all_sources (&bench, counts);
  cold_ms = (g_get_monotonic_time () - start) / 1000.0;
  g_string_append (counts, "}");
  for (guint i = 0; i < iterations; i++)
    {
      start = g_get_monotonic_time ();
      cmdb_cache_new_generation (bench.cache);
      sink += list_all_sources (&bench, NULL);
      samples[i] = (double) (g_get_monotonic_time () - start);
    }
  qsort (samples, iterations, sizeof (double), compare_doubles);
  printf ("{\"cold_ms\": %.4f, \"warm_p50_us\": %.2f, \"warm_p99_us\": %.2f, \"entries\": %s, "
          "\"sink\": %u}\n",
          cold_ms, percentile (samples, iterations, 0.5), percentile (samples, iterations, 0.99),
          counts->str, sink);
  return 0;
}

static int
bench_compose (const char *workspace, const char *page_id, guint iterations)
{
  Bench bench = { 0 };
  g_autofree double *samples = g_new0 (double, MAX (iterations, 1));
  g_autoptr (CmdbFormState) state = NULL;
  g_autoptr (CmdbCommand) command = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (CmdbComposeResult) first = NULL;
  gint64 start;
  double cold_ms;
  guint n_ok = 0;

  bench_open (&bench, workspace);
  bench_activate (&bench, page_id);
  state = cmdb_page_session_evaluate (bench.session, NULL, CMDB_PAGE_SESSION_FOLLOW);
  command = cmdb_page_session_build (bench.session, state,
                                     cmdb_page_session_get_suffix_default (bench.session), &error);
  if (command == NULL)
    die ("build", error);
  start = g_get_monotonic_time ();
  first = cmdb_compose_command (bench.context, page_id, command);
  cold_ms = (g_get_monotonic_time () - start) / 1000.0;
  for (guint i = 0; i < iterations; i++)
    {
      g_autoptr (CmdbComposeResult) result = NULL;

      start = g_get_monotonic_time ();
      cmdb_cache_new_generation (bench.cache);
      result = cmdb_compose_command (bench.context, page_id, command);
      samples[i] = (double) (g_get_monotonic_time () - start);
      n_ok += cmdb_compose_result_get_ok (result) ? 1 : 0;
    }
  qsort (samples, iterations, sizeof (double), compare_doubles);
  printf ("{\"cold_ms\": %.4f, \"warm_p50_us\": %.2f, \"warm_p99_us\": %.2f, \"ok\": %s, "
          "\"ok_count\": %u}\n",
          cold_ms, percentile (samples, iterations, 0.5), percentile (samples, iterations, 0.99),
          cmdb_compose_result_get_ok (first) ? "true" : "false", n_ok);
  return 0;
}

/* A record as the local executor leaves it (only the id, page and times
 * differ between the generated runs). */
static void
write_run_record (const char *runs_dir, guint index)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *id = g_strdup_printf ("20261130-%06u-bench-%04x", index, index);
  g_autofree char *dir = g_build_filename (runs_dir, id, NULL);
  g_autofree char *path = g_build_filename (dir, "run.json", NULL);
  g_autofree char *text = g_strdup_printf (
      "{\n  \"version\" : 1,\n  \"id\" : \"%s\",\n  \"status\" : \"succeeded\",\n"
      "  \"page\" : \"%s\",\n  \"executor\" : \"local\",\n"
      "  \"argv\" : [\"python3\", \"runners/train.py\", \"exp_name=run_%u\"],\n"
      "  \"command\" : \"python3 runners/train.py exp_name=run_%u\",\n"
      "  \"edited_command\" : null,\n  \"edited\" : false,\n"
      "  \"values\" : { \"exp_name\" : \"run_%u\" },\n  \"cwd\" : \"/\",\n"
      "  \"created_at\" : \"2026-11-30T%02u:%02u:%02u.000000Z\",\n  \"stop_grace_ms\" : 5000,\n"
      "  \"exit_code\" : 0,\n  \"stdout_bytes\" : 1024,\n  \"stderr_bytes\" : 0,\n"
      "  \"started_at\" : \"2026-11-30T00:00:00.000000Z\",\n"
      "  \"ended_at\" : \"2026-11-30T00:00:01.000000Z\"\n}\n",
      id, index % 3 == 0 ? "test" : "train", index, index, index, (index / 3600) % 24,
      (index / 60) % 60, index % 60);

  if (g_mkdir_with_parents (dir, 0700) != 0 || !g_file_set_contents (path, text, -1, &error))
    die (path, error);
}

static int
bench_runs (const char *workspace, guint count, guint iterations)
{
  Bench bench = { 0 };
  g_autoptr (CmdbRunStore) store = NULL;
  g_autoptr (GPtrArray) first = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree double *samples = g_new0 (double, MAX (iterations, 1));
  g_autofree char *runs_dir = NULL;
  gint64 start;
  double cold_ms;

  bench_open (&bench, workspace);
  runs_dir = g_build_filename (cmdb_context_get_state_dir (bench.context), "runs", NULL);
  for (guint i = 0; i < count; i++)
    write_run_record (runs_dir, i);
  store = cmdb_run_store_new (bench.context);
  cmdb_cache_new_generation (bench.cache);
  start = g_get_monotonic_time ();
  first = cmdb_run_store_list (store, "train", NULL, &error);
  if (first == NULL)
    die ("list", error);
  cold_ms = (g_get_monotonic_time () - start) / 1000.0;
  for (guint i = 0; i < iterations; i++)
    {
      g_autoptr (GPtrArray) runs = NULL;

      start = g_get_monotonic_time ();
      cmdb_cache_new_generation (bench.cache);
      runs = cmdb_run_store_list (store, "train", NULL, &error);
      if (runs == NULL)
        die ("list", error);
      samples[i] = (g_get_monotonic_time () - start) / 1000.0;
    }
  qsort (samples, iterations, sizeof (double), compare_doubles);
  printf ("{\"runs\": %u, \"listed\": %u, \"cold_ms\": %.3f, \"warm_p50_ms\": %.3f, "
          "\"warm_p99_ms\": %.3f}\n",
          count, first->len, cold_ms, percentile (samples, iterations, 0.5),
          percentile (samples, iterations, 0.99));
  return 0;
}

int
main (int argc, char **argv)
{
  Bench bench = { 0 };

  if (argc >= 5 && g_str_equal (argv[1], "runs"))
    return bench_runs (argv[2], (guint) MAX (1, g_ascii_strtoull (argv[3], NULL, 10)),
                       (guint) MAX (1, g_ascii_strtoull (argv[4], NULL, 10)));

  if (argc >= 4 && g_str_equal (argv[1], "make-runs"))
    {
      g_autofree char *runs_dir = NULL;
      guint count = (guint) g_ascii_strtoull (argv[3], NULL, 10);

      bench_open (&bench, argv[2]);
      runs_dir = g_build_filename (cmdb_context_get_state_dir (bench.context), "runs", NULL);
      for (guint i = 0; i < count; i++)
        write_run_record (runs_dir, i);
      printf ("{\"runs\": %u}\n", count);
      return 0;
    }

  if (argc >= 5 && g_str_equal (argv[1], "compose"))
    return bench_compose (argv[2], argv[3], (guint) MAX (1, g_ascii_strtoull (argv[4], NULL, 10)));

  if (argc >= 4 && g_str_equal (argv[1], "scan"))
    return bench_scan (argv[2], (guint) MAX (1, g_ascii_strtoull (argv[3], NULL, 10)));

  if (argc >= 4 && g_str_equal (argv[1], "activate"))
    {
      gint64 start;
      double ms;

      bench_open (&bench, argv[2]);
      start = g_get_monotonic_time ();
      bench_activate (&bench, argv[3]);
      ms = (g_get_monotonic_time () - start) / 1000.0;
      printf ("{\"activate_ms\": %.4f}\n", ms);
      return 0;
    }
  if (argc >= 6 && g_str_equal (argv[1], "loop"))
    {
      const char *mode = argv[4];
      guint iterations = (guint) g_ascii_strtoull (argv[5], NULL, 10);
      gboolean invalidate = g_str_equal (mode, "invalidated");
      gboolean html = !g_str_equal (mode, "evaluate");
      g_autofree double *samples = g_new0 (double, MAX (iterations, 1));
      g_autofree char *watched = NULL;
      gsize sink = 0;
      double total = 0;
      time_t stamp = time (NULL);

      if (iterations == 0 || (!invalidate && !html && !g_str_equal (mode, "evaluate"))
          || (!invalidate && html && !g_str_equal (mode, "warm")))
        {
          fprintf (stderr, "bench-core: bad mode or iteration count\n");
          return 2;
        }
      bench_open (&bench, argv[2]);
      bench_activate (&bench, argv[3]);
      /* A file every page render depends on: the default architecture's
       * ui_meta, read for filters, defaults and help. */
      watched = g_build_filename (cmdb_context_get_configs_dir (bench.context), "ui_meta",
                                  "architectures", "dbnet.yaml", NULL);
      sink += render_page (&bench, html); /* warm-up */
      for (guint i = 0; i < iterations; i++)
        {
          gint64 start;

          if (invalidate)
            {
              struct utimbuf times = { stamp + i + 1, stamp + i + 1 };
              if (utime (watched, &times) != 0)
                {
                  fprintf (stderr, "bench-core: cannot touch %s\n", watched);
                  return 1;
                }
            }
          start = g_get_monotonic_time ();
          sink += render_page (&bench, html);
          samples[i] = (double) (g_get_monotonic_time () - start);
          total += samples[i];
        }
      qsort (samples, iterations, sizeof (double), compare_doubles);
      printf ("{\"mode\": \"%s\", \"iterations\": %u, \"p50_us\": %.2f, \"p99_us\": %.2f, "
              "\"mean_us\": %.2f, \"sink\": %" G_GSIZE_FORMAT "}\n",
              mode, iterations, percentile (samples, iterations, 0.50),
              percentile (samples, iterations, 0.99), total / iterations, sink);
      return 0;
    }
  fprintf (stderr, "usage: bench-core activate WORKSPACE PAGE\n"
                   "       bench-core loop WORKSPACE PAGE warm|invalidated|evaluate ITERATIONS\n"
                   "       bench-core scan WORKSPACE ITERATIONS\n"
                   "       bench-core compose WORKSPACE PAGE ITERATIONS\n"
                   "       bench-core runs WORKSPACE COUNT ITERATIONS\n"
                   "       bench-core make-runs WORKSPACE COUNT\n");
  return 2;
}
