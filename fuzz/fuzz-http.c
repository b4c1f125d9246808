#define G_LOG_DOMAIN "cmdb-fuzz"

/* libFuzzer harness: the whole HTTP request path in-process, without
 * sockets. Each input is the bytes a client sends on one connection; the
 * real server (libsoup, security checks, routes, page evaluation, state
 * saves) runs on a copy of the demo workspace in a temporary directory,
 * without a token so the fuzzer reaches the routes. Routes that start
 * processes or never end (runs, actions, executors, event streams) are
 * answered 403 before the server sees them: the fuzzer must not spawn
 * programs; the tests cover them. */

#include "cmdb-server-private.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static CmdbServer *server;

static void
refuse_process_routes (SoupServer *soup, SoupServerMessage *msg, const char *path,
                       GHashTable *query, gpointer user_data)
{
  if (g_str_has_prefix (path, "/api/runs") || g_str_has_prefix (path, "/api/events")
      || g_str_has_prefix (path, "/api/executors") || strstr (path, "/actions") != NULL)
    soup_server_message_set_status (msg, SOUP_STATUS_FORBIDDEN, NULL);
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *tmp = g_dir_make_tmp ("cmdb-fuzz-http-XXXXXX", &error);
  g_autofree char *workspace = NULL;
  g_autofree char *ini = NULL;
  const char *const copy[]
      = { "cp", "-a", CMDB_FUZZ_SOURCE_ROOT "/examples/ocr-workspace", NULL, NULL };
  const char *const xdg[]
      = { "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME", "HOME" };
  CmdbConfig *config;
  CmdbCache *cache;
  CmdbContext *context;
  CmdbHost *host;
  CmdbServerOptions options = { .bind = "127.0.0.1", .port = 0, .no_token = TRUE };
  int status = 0;

  if (tmp == NULL)
    g_error ("%s", error->message);
  for (guint i = 0; i < G_N_ELEMENTS (xdg); i++)
    {
      g_autofree char *dir = g_build_filename (tmp, xdg[i], NULL);
      g_mkdir_with_parents (dir, 0700);
      g_setenv (xdg[i], dir, TRUE);
    }
  g_setenv ("XDG_CONFIG_DIRS", tmp, TRUE);
  workspace = g_build_filename (tmp, "ws", NULL);
  ((const char **) copy)[3] = workspace;
  if (!g_spawn_sync (NULL, (char **) copy, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL,
                     &status, &error)
      || !g_spawn_check_wait_status (status, &error))
    g_error ("cannot copy the demo workspace: %s", error->message);

  config = cmdb_config_new ();
  ini = g_build_filename (workspace, "cmdbuilder.ini", NULL);
  if (!cmdb_config_merge_file (config, ini, FALSE, &error))
    g_error ("%s", error->message);
  cache = cmdb_cache_new (0);
  context = cmdb_context_new (workspace, config, cache);
  host = cmdb_host_new (config);
  cmdb_host_attach_context (host, context);
  server = cmdb_server_new (context, host, &options, &error);
  if (server == NULL)
    g_error ("%s", error->message);
  soup_server_add_early_handler (cmdb_server_get_soup (server), NULL, refuse_process_routes, NULL,
                                 NULL);
  return 0;
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autoptr (GInputStream) input
      = g_memory_input_stream_new_from_data (g_memdup2 (data, size), (gssize) size, g_free);
  g_autoptr (GOutputStream) output = g_memory_output_stream_new_resizable ();
  g_autoptr (GIOStream) stream = g_simple_io_stream_new (input, output);
  g_autoptr (GError) error = NULL;

  if (!cmdb_server_accept_stream (server, stream, &error))
    return 0;
  /* libsoup answers each request, reads end-of-file and closes; a request
   * still waiting after this many turns of the loop is cut off. */
  for (guint i = 0; i < 10000 && !g_input_stream_is_closed (input); i++)
    g_main_context_iteration (NULL, FALSE);
  if (!g_input_stream_is_closed (input))
    {
      g_io_stream_close (stream, NULL, NULL);
      for (guint i = 0; i < 100; i++)
        g_main_context_iteration (NULL, FALSE);
    }
  return 0;
}
