#define G_LOG_DOMAIN "cmdb-test"

#include "server-test-util.h"

#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Every server started, so one left by a failed assertion is still killed
 * when the test program exits. */
static GPtrArray *live_pids;

static void
kill_leftovers (void)
{
  for (guint i = 0; live_pids != NULL && i < live_pids->len; i++)
    {
      GPid pid = GPOINTER_TO_INT (g_ptr_array_index (live_pids, i));
      kill (pid, SIGKILL);
      waitpid (pid, NULL, 0);
    }
}

TestServer *
test_server_start (const char *workspace, const char *const *extra_args)
{
  return test_server_start_full (workspace, extra_args, NULL, NULL);
}

TestServer *
test_server_start_full (const char *workspace, const char *const *extra_args,
                        GSpawnChildSetupFunc child_setup, gpointer child_data)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GError) error = NULL;
  TestServer *server = g_new0 (TestServer, 1);
  int out_fd = -1;
  GString *line = g_string_new (NULL);
  char c;
  const char *token;

  g_ptr_array_add (argv, cmdb_test_cmdbuilder ());
  g_ptr_array_add (argv, g_strdup ("serve"));
  g_ptr_array_add (argv, g_strdup ("--workspace"));
  g_ptr_array_add (argv, g_strdup (workspace));
  g_ptr_array_add (argv, g_strdup ("--port"));
  g_ptr_array_add (argv, g_strdup ("0"));
  for (guint i = 0; extra_args != NULL && extra_args[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (extra_args[i]));
  g_ptr_array_add (argv, NULL);

  if (!g_spawn_async_with_pipes (workspace, (char **) argv->pdata, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
                                 child_setup, child_data, &server->pid, NULL, &out_fd, NULL,
                                 &error))
    {
      print_error ("cannot start the server: %s\n", error->message);
      fail ();
    }
  if (live_pids == NULL)
    {
      live_pids = g_ptr_array_new ();
      atexit (kill_leftovers);
    }
  g_ptr_array_add (live_pids, GINT_TO_POINTER (server->pid));

  /* The first line of stdout is the URL; EOF first means it failed. */
  while (read (out_fd, &c, 1) == 1 && c != '\n')
    g_string_append_c (line, c);
  close (out_fd);
  server->url = g_string_free (line, FALSE);
  if (!g_str_has_prefix (server->url, "http://127.0.0.1:"))
    {
      print_error ("the server printed no URL: '%s'\n", server->url);
      test_server_stop (server);
      fail ();
    }
  server->port = (guint) g_ascii_strtoull (server->url + strlen ("http://127.0.0.1:"), NULL, 10);
  token = strstr (server->url, "?token=");
  server->token = token != NULL ? g_strdup (token + strlen ("?token=")) : NULL;
  return server;
}

int
test_server_stop (TestServer *server)
{
  int status = 0;

  if (server->pid <= 0)
    return 0;
  kill (server->pid, SIGTERM);
  waitpid (server->pid, &status, 0);
  g_ptr_array_remove (live_pids, GINT_TO_POINTER (server->pid));
  g_spawn_close_pid (server->pid);
  server->pid = 0;
  return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

void
test_server_free (TestServer *server)
{
  if (server == NULL)
    return;
  test_server_stop (server);
  g_free (server->url);
  g_free (server->token);
  g_free (server->cookie);
  g_free (server);
}

void
test_server_login (TestServer *server)
{
  g_autofree char *path = g_strdup_printf ("/?token=%s", server->token);
  g_autoptr (TestResponse) response = test_http (server, "GET", path, NULL, NULL);
  const char *set_cookie = test_response_header (response, "set-cookie");
  const char *semicolon;

  assert_int_equal (response->status, 302);
  assert_string_equal (test_response_header (response, "location"), "/");
  assert_non_null (set_cookie);
  semicolon = strchr (set_cookie, ';');
  assert_non_null (semicolon);
  g_free (server->cookie);
  server->cookie = g_strndup (set_cookie, semicolon - set_cookie);
}

static void
parse_response (TestResponse *response, const char *raw, gsize length)
{
  const char *end = g_strstr_len (raw, length, "\r\n\r\n");
  g_auto (GStrv) lines = NULL;
  g_autofree char *head = NULL;

  if (end == NULL)
    {
      print_error ("malformed HTTP response: %s\n", raw);
      fail ();
    }
  head = g_strndup (raw, end - raw);
  lines = g_strsplit (head, "\r\n", -1);
  if (!g_str_has_prefix (lines[0], "HTTP/1.1 "))
    {
      print_error ("malformed status line: %s\n", lines[0]);
      fail ();
    }
  response->status = (guint) g_ascii_strtoull (lines[0] + 9, NULL, 10);
  for (guint i = 1; lines[i] != NULL; i++)
    {
      char *colon = strchr (lines[i], ':');
      g_autofree char *name = NULL;
      const char *value;
      const char *old;

      if (colon == NULL)
        continue;
      name = g_ascii_strdown (lines[i], colon - lines[i]);
      value = colon + 1;
      while (*value == ' ')
        value++;
      old = g_hash_table_lookup (response->headers, name);
      g_hash_table_replace (response->headers, g_strdup (name),
                            old != NULL ? g_strconcat (old, "\n", value, NULL) : g_strdup (value));
    }
  response->body = g_strndup (end + 4, length - (end + 4 - raw));
}

TestResponse *
test_http (TestServer *server, const char *method, const char *path, const char *const *headers,
           const char *body)
{
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  g_autoptr (GSocketConnection) connection = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GString) request = g_string_new (NULL);
  g_autoptr (GByteArray) raw = g_byte_array_new ();
  gboolean has_host = FALSE;
  GInputStream *input;
  guint8 buffer[8192];
  gssize got;
  TestResponse *response;

  connection = g_socket_client_connect_to_host (client, "127.0.0.1", server->port, NULL, &error);
  if (connection == NULL)
    {
      print_error ("cannot connect: %s\n", error->message);
      fail ();
    }
  g_string_append_printf (request, "%s %s HTTP/1.1\r\n", method, path);
  for (guint i = 0; headers != NULL && headers[i] != NULL; i++)
    {
      if (g_ascii_strncasecmp (headers[i], "Host:", 5) == 0)
        has_host = TRUE;
      g_string_append_printf (request, "%s\r\n", headers[i]);
    }
  if (!has_host)
    g_string_append_printf (request, "Host: 127.0.0.1:%u\r\n", server->port);
  g_string_append (request, "Connection: close\r\n");
  if (body != NULL)
    g_string_append_printf (request, "Content-Length: %zu\r\n", strlen (body));
  g_string_append (request, "\r\n");
  if (body != NULL)
    g_string_append (request, body);
  if (!g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)),
                                  request->str, request->len, NULL, NULL, &error))
    {
      print_error ("cannot send: %s\n", error->message);
      fail ();
    }
  input = g_io_stream_get_input_stream (G_IO_STREAM (connection));
  while ((got = g_input_stream_read (input, buffer, sizeof buffer, NULL, &error)) > 0)
    g_byte_array_append (raw, buffer, (guint) got);
  if (got < 0)
    {
      print_error ("cannot read: %s\n", error->message);
      fail ();
    }
  g_byte_array_append (raw, (const guint8 *) "", 1);

  response = g_new0 (TestResponse, 1);
  response->headers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  parse_response (response, (const char *) raw->data, raw->len - 1);
  return response;
}

TestResponse *
test_get (TestServer *server, const char *path)
{
  g_autofree char *cookie
      = g_strdup_printf ("Cookie: %s", server->cookie != NULL ? server->cookie : "");
  const char *headers[] = { cookie, NULL };

  return test_http (server, "GET", path, headers, NULL);
}

TestResponse *
test_post_json (TestServer *server, const char *path, const char *json)
{
  g_autofree char *cookie
      = g_strdup_printf ("Cookie: %s", server->cookie != NULL ? server->cookie : "");
  g_autofree char *origin = g_strdup_printf ("Origin: http://127.0.0.1:%u", server->port);
  const char *headers[] = { cookie, origin, "Content-Type: application/json", NULL };

  return test_http (server, "POST", path, headers, json);
}

const char *
test_response_header (TestResponse *response, const char *name)
{
  return g_hash_table_lookup (response->headers, name);
}

JsonNode *
test_response_json (TestResponse *response)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;

  if (!json_parser_load_from_data (parser, response->body, -1, &error))
    {
      print_error ("not JSON (%s): %s\n", error->message, response->body);
      fail ();
    }
  return json_node_copy (json_parser_get_root (parser));
}

void
test_response_free (TestResponse *response)
{
  if (response == NULL)
    return;
  g_hash_table_unref (response->headers);
  g_free (response->body);
  g_free (response);
}

char *
test_copy_demo_workspace (const char *tmp)
{
  g_autofree char *source = cmdb_test_source_path ("examples/ocr-workspace");
  char *workspace = g_build_filename (tmp, "ws", NULL);

  cmdb_test_copy_tree (source, workspace);
  return workspace;
}

TestServerFixture fixture;

int
test_fixture_setup (void **state)
{
  fixture.tmp = cmdb_test_make_tempdir ();
  cmdb_test_isolate_environment (fixture.tmp);
  fixture.workspace = test_copy_demo_workspace (fixture.tmp);
  return 0;
}

int
test_fixture_setup_server (void **state)
{
  test_fixture_setup (state);
  fixture.server = test_server_start (fixture.workspace, NULL);
  return 0;
}

int
test_fixture_setup_login (void **state)
{
  test_fixture_setup_server (state);
  test_server_login (fixture.server);
  return 0;
}

int
test_fixture_teardown (void **state)
{
  g_clear_pointer (&fixture.server, test_server_free);
  cmdb_test_remove_tree (fixture.tmp);
  g_clear_pointer (&fixture.tmp, g_free);
  g_clear_pointer (&fixture.workspace, g_free);
  return 0;
}

TestServer *
test_fixture_restart (const char *const *extra_args, gboolean login)
{
  g_clear_pointer (&fixture.server, test_server_free);
  fixture.server = test_server_start (fixture.workspace, extra_args);
  if (login)
    test_server_login (fixture.server);
  return fixture.server;
}

gboolean
test_run_argv_has (JsonObject *run, const char *word)
{
  JsonArray *argv = json_object_get_array_member (run, "argv");

  for (guint i = 0; i < json_array_get_length (argv); i++)
    if (g_str_equal (json_array_get_string_element (argv, i), word))
      return TRUE;
  return FALSE;
}

void
test_assert_contains (const char *haystack, const char *needle)
{
  if (haystack == NULL || strstr (haystack, needle) == NULL)
    {
      print_error ("expected to find: %s\nin: %s\n", needle,
                   haystack != NULL ? haystack : "(null)");
      fail ();
    }
}

JsonNode *
test_expect_json (TestResponse *response, guint status, const char *what)
{
  if (response->status != status)
    {
      print_error ("%s: expected %u, got %u: %s\n", what, status, response->status, response->body);
      fail ();
    }
  return test_response_json (response);
}

JsonNode *
test_fixture_post_json (const char *path, const char *json, guint status)
{
  g_autoptr (TestResponse) response = test_post_json (fixture.server, path, json);

  return test_expect_json (response, status, path);
}

struct _TestPendingPost
{
  TestServer *server;
  char *path;
  char *json;
  GThread *thread;
  TestResponse *response; /* set by the thread */
  gint answered;          /* atomic */
};

static gpointer
pending_post_run (gpointer user_data)
{
  TestPendingPost *post = user_data;

  post->response = test_post_json (post->server, post->path, post->json);
  g_atomic_int_set (&post->answered, 1);
  return NULL;
}

TestPendingPost *
test_post_json_in_thread (TestServer *server, const char *path, const char *json)
{
  TestPendingPost *post = g_new0 (TestPendingPost, 1);

  post->server = server;
  post->path = g_strdup (path);
  post->json = g_strdup (json);
  post->thread = g_thread_new ("pending-post", pending_post_run, post);
  return post;
}

gboolean
test_pending_post_answered (TestPendingPost *post)
{
  return g_atomic_int_get (&post->answered) != 0;
}

TestResponse *
test_pending_post_wait (TestPendingPost *post)
{
  TestResponse *response;

  g_thread_join (post->thread);
  response = post->response;
  g_free (post->path);
  g_free (post->json);
  g_free (post);
  return response;
}
