#define G_LOG_DOMAIN "cmdb-cli"

#include "cli.h"
#include "server/cmdb-server-private.h"

#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>

typedef struct
{
  CmdbServer *server;
  GMainLoop *loop;
  gboolean stopping;
} ServeStop;

static gboolean
quit_loop (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

/* The loop stops once the saves in flight are on disk (their answers sent). */
static gboolean
stop_on_signal (gpointer user_data)
{
  ServeStop *stop = user_data;

  if (!stop->stopping)
    cmdb_server_when_saved (stop->server, quit_loop, stop->loop);
  stop->stopping = TRUE;
  /* Removed by the caller after the loop ends. */
  return G_SOURCE_CONTINUE;
}

/* `cmdbuilder serve`: the web UI. Prints the URL to open (with the token)
 * on stdout and serves until SIGINT or SIGTERM. */
int
cmdb_cli_serve (int argc, char **argv)
{
  g_auto (CmdbCliCommonOptions) common = { 0 };
  g_autofree char *bind = NULL;
  int port = -1;
  g_auto (GStrv) allow_hosts = NULL;
  gboolean no_token = FALSE;
  gboolean new_token = FALSE;
  const GOptionEntry entries[]
      = { { "bind", 0, 0, G_OPTION_ARG_STRING, &bind,
            "Address to listen on (default [server] bind, 127.0.0.1)", "ADDR" },
          { "port", 'p', 0, G_OPTION_ARG_INT, &port,
            "Port (default [server] port, 8501; 0 picks a free one)", "N" },
          { "allow-host", 0, 0, G_OPTION_ARG_STRING_ARRAY, &allow_hosts,
            "Also accept this Host header (repeatable; besides localhost, 127.0.0.1, [::1])",
            "HOST" },
          { "no-token", 0, 0, G_OPTION_ARG_NONE, &no_token,
            "Serve without the access token (loopback addresses only)", NULL },
          { "new-token", 0, 0, G_OPTION_ARG_NONE, &new_token,
            "Make a new access token (the kept one, and old bookmarks, stop working)", NULL },
          { NULL } };
  g_autoptr (GOptionContext) option_context = g_option_context_new ("- serve the web UI");
  g_autoptr (CmdbCliSession) session = NULL;
  g_autoptr (CmdbServer) server = NULL;
  g_autoptr (GPtrArray) extra_hosts = g_ptr_array_new ();
  g_autoptr (GMainLoop) loop = NULL;
  ServeStop stop = { 0 };
  g_autoptr (GError) error = NULL;
  g_autofree char *url = NULL;
  CmdbServerOptions options = { 0 };
  guint sigint_id, sigterm_id;

  g_option_context_add_main_entries (option_context, entries, NULL);
  cmdb_cli_add_common_options (option_context, &common);
  if (!cmdb_cli_parse (option_context, &argc, &argv))
    return 1;
  if (argc > 1)
    {
      fprintf (stderr, "cmdbuilder: serve takes no arguments ('%s')\n", argv[1]);
      return 1;
    }
  if (port < -1 || port > 65535)
    {
      fprintf (stderr, "cmdbuilder: --port %d: expected 0 to 65535\n", port);
      return 1;
    }

  session = cmdb_cli_session_open (&common, &error);
  if (session == NULL)
    {
      cmdb_cli_error ("%s", error->message);
      return 1;
    }
  cmdb_cli_print_problems (cmdb_host_get_problems (session->host));

  for (guint i = 0; allow_hosts != NULL && allow_hosts[i] != NULL; i++)
    g_ptr_array_add (extra_hosts, allow_hosts[i]);
  options.bind = bind;
  options.port = port;
  options.allowed_hosts = extra_hosts;
  options.no_token = no_token;
  options.new_token = new_token;
  server = cmdb_server_new (session->context, session->host, &options, &error);
  if (server == NULL || !cmdb_server_listen (server, &error))
    {
      cmdb_cli_error ("%s", error->message);
      return 1;
    }

  /* Signal handlers first: whoever reads the URL may stop us at once. */
  loop = g_main_loop_new (NULL, FALSE);
  stop.server = server;
  stop.loop = loop;
  sigint_id = g_unix_signal_add (SIGINT, stop_on_signal, &stop);
  sigterm_id = g_unix_signal_add (SIGTERM, stop_on_signal, &stop);

  url = cmdb_server_get_start_url (server);
  printf ("%s\n", url);
  fflush (stdout);
  /* For `cmdbuilder url`: a terminal's scrollback is not the only copy. */
  if (!cmdb_server_access_publish (cmdb_context_get_state_dir (session->context), url, &error))
    {
      g_warning ("cmdbuilder url will not find this server: %s", error->message);
      g_clear_error (&error);
    }
  fprintf (stderr, "cmdbuilder: serving %s; open the URL above. Ctrl+C stops.\n",
           cmdb_context_get_root (session->context));
  g_main_loop_run (loop);
  g_source_remove (sigint_id);
  g_source_remove (sigterm_id);
  cmdb_server_access_withdraw (cmdb_context_get_state_dir (session->context));
  fprintf (stderr, "cmdbuilder: stopped\n");
  return 0;
}

/* `cmdbuilder url`: the start URL (with the token) of the server running
 * for the workspace, as `cmdbuilder serve` printed it. */
int
cmdb_cli_url (int argc, char **argv)
{
  g_auto (CmdbCliCommonOptions) common = { 0 };
  g_autoptr (GOptionContext) option_context
      = g_option_context_new ("- print the URL of the workspace's running web UI");
  g_autoptr (CmdbCliSession) session = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *url = NULL;

  cmdb_cli_add_common_options (option_context, &common);
  if (!cmdb_cli_parse (option_context, &argc, &argv))
    return 1;
  if (argc > 1)
    {
      fprintf (stderr, "cmdbuilder: url takes no arguments ('%s')\n", argv[1]);
      return 1;
    }
  session = cmdb_cli_session_open (&common, &error);
  if (session == NULL)
    {
      cmdb_cli_error ("%s", error->message);
      return 1;
    }
  url = cmdb_server_access_running_url (cmdb_context_get_state_dir (session->context));
  if (url == NULL)
    {
      cmdb_cli_error ("no web UI is running for %s; start one with cmdbuilder serve",
                      cmdb_context_get_root (session->context));
      return 1;
    }
  printf ("%s\n", url);
  return 0;
}
