#define G_LOG_DOMAIN "cmdb-server"

/* The routing table: every address the server answers, with its method
 * and the handler of the resource file that answers it (docs/api.md lists
 * the same routes; a test compares them).
 *
 * A pattern is a path of segments, each literal or a {name} that takes any
 * one non-empty segment. Of the patterns a path matches, the one whose
 * first differing segment is literal wins (/api/runs/diff before
 * /api/runs/{run}); its routes give the method's handler, or 405 with the
 * methods they allow. A path no pattern matches is 404. Errors are JSON
 * under /api/ and HTML elsewhere, like every other answer there. */

#include "cmdb-server-resource-private.h"

#include <string.h>

static const CmdbServerRoute routes[] = {
  /* pages (cmdb-server-pages.c) */
  { "GET", "/", cmdb_server_serve_root },
  { "GET", "/{page}", cmdb_server_serve_page },
  { "POST", "/{page}", cmdb_server_post_page_form },
  { "GET", "/api/pages", cmdb_server_api_pages_list },
  { "GET", "/api/pages/{page}", cmdb_server_api_page_get },
  { "POST", "/api/pages/{page}", cmdb_server_api_page_post },
  { "GET", "/api/pages/{page}/command.sh", cmdb_server_api_command_sh },
  { "POST", "/api/evaluate/{page}", cmdb_server_api_evaluate },
  { "POST", "/api/build/{page}", cmdb_server_api_build },
  /* page actions (cmdb-server-actions.c) */
  { "GET", "/api/pages/{page}/actions", cmdb_server_api_actions_list, .no_head = TRUE },
  { "POST", "/api/pages/{page}/actions/{action}", cmdb_server_api_action_run },
  /* presets (cmdb-server-presets.c) */
  { "GET", "/api/pages/{page}/presets", cmdb_server_api_presets_list },
  { "POST", "/api/pages/{page}/presets", cmdb_server_api_presets_save },
  { "DELETE", "/api/pages/{page}/presets/{name}", cmdb_server_api_presets_delete },
  /* plugins and option sources (cmdb-server-plugins.c) */
  { "GET", "/api/plugins", cmdb_server_api_plugins },
  { "GET", "/api/options/{source}", cmdb_server_api_options },
  /* runs (cmdb-server-runs.c) */
  { "GET", "/api/runs", cmdb_server_api_runs_list },
  { "POST", "/api/runs", cmdb_server_api_runs_start },
  { "GET", "/api/runs/diff", cmdb_server_api_runs_diff },
  { "GET", "/api/runs/{run}", cmdb_server_api_run_get },
  { "DELETE", "/api/runs/{run}", cmdb_server_api_run_delete },
  { "GET", "/api/runs/{run}/log", cmdb_server_api_run_log },
  { "POST", "/api/runs/{run}/stop", cmdb_server_api_run_stop },
  /* sweeps (cmdb-server-sweeps.c) */
  { "GET", "/api/sweeps", cmdb_server_api_sweeps_list },
  { "POST", "/api/sweeps", cmdb_server_api_sweeps_start },
  { "POST", "/api/sweeps/preview", cmdb_server_api_sweeps_preview },
  { "GET", "/api/sweeps/{sweep}", cmdb_server_api_sweep_get },
  { "DELETE", "/api/sweeps/{sweep}", cmdb_server_api_sweep_delete },
  { "GET", "/api/sweeps/{sweep}/csv", cmdb_server_api_sweep_csv },
  { "POST", "/api/sweeps/{sweep}/stop", cmdb_server_api_sweep_stop },
  { "POST", "/api/sweeps/{sweep}/rerun-failed", cmdb_server_api_sweep_rerun_failed },
  /* the sweep comparison page (cmdb-server-sweeps.c) */
  { "GET", "/sweeps/{sweep}", cmdb_server_serve_sweep_page },
  /* events (cmdb-server-events.c) */
  { "GET", "/api/events", cmdb_server_api_events, .no_head = TRUE },
  /* executors (cmdb-server-executors.c) */
  { "GET", "/api/executors", cmdb_server_api_executors },
  { "GET", "/api/executors/{executor}/form", cmdb_server_api_executor_form },
  { "POST", "/api/executors/{executor}/check", cmdb_server_api_executor_check },
  /* assets (cmdb-server-assets.c) */
  { "GET", "/assets/{name}", cmdb_server_serve_asset },
  { "GET", "/favicon.ico", cmdb_server_serve_favicon },
  /* files (cmdb-server-files.c) */
  { "GET", "/api/outputs", cmdb_server_api_output_download },
  { "POST", CMDB_SERVER_UPLOAD_PATH, cmdb_server_api_upload },
};

const CmdbServerRoute *
cmdb_server_routes (guint *n_routes)
{
  *n_routes = G_N_ELEMENTS (routes);
  return routes;
}

/* The segments of a path or pattern after its leading '/': "/" is one
 * empty segment. */
static GStrv
split_segments (const char *path)
{
  return g_strsplit (path[0] == '/' ? path + 1 : path, "/", -1);
}

/* The segments of each route's pattern, split once. */
static char **const *
pattern_segments (void)
{
  static char **compiled[G_N_ELEMENTS (routes)];
  static gsize done = 0;

  if (g_once_init_enter (&done))
    {
      for (guint i = 0; i < G_N_ELEMENTS (routes); i++)
        compiled[i] = split_segments (routes[i].pattern);
      g_once_init_leave (&done, 1);
    }
  return (char **const *) compiled;
}

/* Matches @segments against @parts (a pattern's). On a match, @ret_params get the
 * values of its {name} segments (pointing into @segments) and
 * @ret_literal a mask with a bit per segment, the first segment highest,
 * set where the pattern is literal: the larger mask is the more specific
 * pattern. */
static gboolean
pattern_matches (char **parts, char **segments, const char **ret_params, guint64 *ret_literal)
{
  guint n = g_strv_length (parts);
  guint n_params = 0;
  guint64 literal = 0;

  if (n != g_strv_length (segments) || n > 63)
    return FALSE;
  for (guint i = 0; i < n; i++)
    {
      gboolean is_param = parts[i][0] == '{';

      if (is_param)
        {
          if (segments[i][0] == '\0')
            return FALSE;
          g_assert (n_params < CMDB_SERVER_MAX_PARAMS);
          ret_params[n_params++] = segments[i];
        }
      else if (!g_str_equal (parts[i], segments[i]))
        return FALSE;
      else
        literal |= G_GUINT64_CONSTANT (1) << (62 - i);
    }
  *ret_literal = literal;
  return TRUE;
}

static gboolean
route_accepts (const CmdbServerRoute *route, const char *method)
{
  return g_str_equal (route->method, method)
         || (g_str_equal (method, "HEAD") && g_str_equal (route->method, "GET") && !route->no_head);
}

/* 405: the methods the path's pattern has, in the Allow header and in the
 * message ("Use GET or POST here."). */
static void
respond_not_allowed (SoupServerMessage *msg, const char *path, const char *pattern)
{
  g_autoptr (GString) allow = g_string_new (NULL);
  g_autoptr (GString) names = g_string_new (NULL);
  g_autofree char *html_message = NULL;
  g_autofree char *json_message = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (routes); i++)
    {
      if (!g_str_equal (routes[i].pattern, pattern))
        continue;
      g_string_append_printf (allow, "%s%s", allow->len > 0 ? ", " : "", routes[i].method);
      if (g_str_equal (routes[i].method, "GET") && !routes[i].no_head)
        g_string_append (allow, ", HEAD");
      g_string_append_printf (names, "%s%s", names->len > 0 ? " or " : "", routes[i].method);
    }
  html_message = g_strdup_printf ("Use %s here.", names->str);
  json_message = g_strdup_printf ("use %s here", names->str);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow",
                                allow->str);
  if (g_str_has_prefix (path, "/api/"))
    cmdb_server_respond_json_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, json_message);
  else
    cmdb_server_respond_html_message (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "Not allowed",
                                      html_message);
}

void
cmdb_server_route (CmdbServer *server, SoupServerMessage *msg, const char *path, GHashTable *query)
{
  const char *method = soup_server_message_get_method (msg);
  char **const *patterns = pattern_segments ();
  g_auto (GStrv) segments = split_segments (path);
  const CmdbServerRoute *best = NULL;
  guint64 best_literal = 0;
  CmdbServerRequest request = { .path = path, .query = query };

  /* The most specific pattern the path matches. */
  for (guint i = 0; i < G_N_ELEMENTS (routes); i++)
    {
      const char *params[CMDB_SERVER_MAX_PARAMS] = { NULL };
      guint64 literal = 0;

      if (best != NULL && g_str_equal (routes[i].pattern, best->pattern))
        continue;
      if (!pattern_matches (patterns[i], segments, params, &literal))
        continue;
      if (best == NULL || literal > best_literal)
        {
          best = &routes[i];
          best_literal = literal;
          memcpy (request.params, params, sizeof params);
        }
    }
  if (best == NULL)
    {
      if (g_str_has_prefix (path, "/api/"))
        cmdb_server_respond_json_error (msg, SOUP_STATUS_NOT_FOUND, "no such API");
      else
        cmdb_server_respond_html_message (msg, SOUP_STATUS_NOT_FOUND, "Not found",
                                          "There is no page at this address.");
      return;
    }
  for (guint i = 0; i < G_N_ELEMENTS (routes); i++)
    if (g_str_equal (routes[i].pattern, best->pattern) && route_accepts (&routes[i], method))
      {
        routes[i].handler (server, msg, &request);
        return;
      }
  respond_not_allowed (msg, path, best->pattern);
}
