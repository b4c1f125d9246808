/* The server cannot be starved, crashed or fooled by its clients: hostile
 * Content-Length and oversized heads are answered at once, idle and
 * trickling connections are closed, a server at its file descriptor limit
 * still answers new requests, and deeply nested JSON is refused. Liveness
 * only: every wait has a generous deadline, nothing is timed. */
#define G_LOG_DOMAIN "cmdb-test"

#include "server-test-util.h"

#include <string.h>
#include <sys/resource.h>

/* A connected raw socket to the fixture's server. */
static GSocket *
raw_connect (TestServer *server)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocketAddress) address
      = g_inet_socket_address_new_from_string ("127.0.0.1", server->port);
  GSocket *socket
      = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);

  assert_non_null (socket);
  if (!g_socket_connect (socket, address, NULL, &error))
    {
      print_error ("cannot connect: %s\n", error->message);
      fail ();
    }
  g_socket_set_timeout (socket, 60);
  return socket;
}

static void
raw_send (GSocket *socket, const char *data, gsize length)
{
  while (length > 0)
    {
      gssize sent = g_socket_send (socket, data, length, NULL, NULL);
      if (sent <= 0)
        return; /* the server may close early: its answer is what counts */
      data += sent;
      length -= (gsize) sent;
    }
}

/* (transfer full): what the server sends until it closes (or 60 s pass). */
static char *
raw_read_all (GSocket *socket)
{
  GString *text = g_string_new (NULL);
  char buffer[4096];
  gssize got;

  while ((got = g_socket_receive (socket, buffer, sizeof buffer, NULL, NULL)) > 0)
    g_string_append_len (text, buffer, got);
  return g_string_free (text, FALSE);
}

/* (transfer full): the answer to @request sent whole on a new connection. */
static char *
raw_exchange (TestServer *server, const char *request, gsize length)
{
  g_autoptr (GSocket) socket = raw_connect (server);

  raw_send (socket, request, length);
  return raw_read_all (socket);
}

static void
assert_status_line (const char *answer, const char *status_line)
{
  if (!g_str_has_prefix (answer, status_line))
    {
      print_error ("expected '%s', got '%.80s'\n", status_line, answer);
      fail ();
    }
}

/* A normal request is answered 200. */
static void
assert_serving (TestServer *server)
{
  g_autoptr (TestResponse) response = test_get (server, "/api/pages");

  assert_int_equal (response->status, 200);
}

static void
test_hostile_content_length (void **state)
{
  TestServer *server = fixture.server;
  g_autofree char *huge = g_strdup_printf (
      "POST /api/evaluate/train HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nContent-Length: 1000000000\r\n"
      "Content-Type: application/json\r\n\r\n0123456789",
      server->port);
  g_autofree char *negative = g_strdup_printf (
      "POST /api/evaluate/train HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nContent-Length: -1\r\n"
      "Content-Type: application/json\r\n\r\n0123456789",
      server->port);
  g_autoptr (GSocket) socket = raw_connect (server);
  g_autofree char *answer = NULL;

  /* The client keeps its connection open: the answer must come anyway. */
  raw_send (socket, huge, strlen (huge));
  answer = raw_read_all (socket);
  assert_status_line (answer, "HTTP/1.1 413 ");
  g_free (answer);
  answer = raw_exchange (server, negative, strlen (negative));
  assert_status_line (answer, "HTTP/1.1 400 ");
  assert_serving (server);
}

static void
test_oversized_head (void **state)
{
  TestServer *server = fixture.server;
  g_autoptr (GString) line = g_string_new ("GET /");
  g_autoptr (GString) header = NULL;
  g_autofree char *answer = NULL;

  for (guint i = 0; i < 70000; i++)
    g_string_append_c (line, 'a');
  g_string_append_printf (line, " HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n\r\n", server->port);
  answer = raw_exchange (server, line->str, line->len);
  assert_status_line (answer, "HTTP/1.1 431 ");
  g_free (answer);

  header = g_string_new (NULL);
  g_string_append_printf (header,
                          "GET /api/pages HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nX-Big: ", server->port);
  for (guint i = 0; i < 200000; i++)
    g_string_append_c (header, 'b');
  g_string_append (header, "\r\n\r\n");
  answer = raw_exchange (server, header->str, header->len);
  assert_status_line (answer, "HTTP/1.1 431 ");
  assert_serving (server);
}

static void
limit_fds (gpointer user_data)
{
  struct rlimit limit = { 256, 256 };

  setrlimit (RLIMIT_NOFILE, &limit);
}

/* With soft and hard descriptor limits of 256, 300 idle connections: the
 * server keeps answering while they are open and after they closed. */
static void
test_fd_limit (void **state)
{
  g_autoptr (GPtrArray) idle = g_ptr_array_new_with_free_func (g_object_unref);
  struct rlimit ours;
  TestServer *server;

  /* This process holds the 300 client ends. */
  getrlimit (RLIMIT_NOFILE, &ours);
  if (ours.rlim_max != RLIM_INFINITY && ours.rlim_max < 400)
    skip ();
  ours.rlim_cur = ours.rlim_max;
  setrlimit (RLIMIT_NOFILE, &ours);

  test_server_stop (fixture.server);
  g_clear_pointer (&fixture.server, test_server_free);
  fixture.server = server = test_server_start_full (fixture.workspace, NULL, limit_fds, NULL);
  test_server_login (server);

  for (guint i = 0; i < 300; i++)
    g_ptr_array_add (idle, raw_connect (server));
  assert_serving (server);
  g_ptr_array_set_size (idle, 0);
  assert_serving (server);
  assert_serving (server);
}

/* 100 connections trickle their headers a byte at a time; a normal request
 * is answered meanwhile, and (with request-timeout=1s) the tricklers are
 * closed. */
static void
test_trickling_headers (void **state)
{
  g_autoptr (GPtrArray) slow = g_ptr_array_new_with_free_func (g_object_unref);
  g_autofree char *ini = NULL;
  TestServer *server;
  gint64 deadline;
  guint closed = 0;

  ini = g_build_filename (fixture.workspace, "cmdbuilder.ini", NULL);
  {
    g_autofree char *text = cmdb_test_read_file (ini);
    g_autofree char *more = g_strconcat (text, "\n[server]\nrequest-timeout=1s\n", NULL);
    assert_true (g_file_set_contents (ini, more, -1, NULL));
  }
  server = test_fixture_restart (NULL, TRUE);

  for (guint i = 0; i < 100; i++)
    {
      GSocket *socket = raw_connect (server);
      raw_send (socket, "GET /api/pages HTTP/1.1\r\n", 25);
      g_ptr_array_add (slow, socket);
    }
  for (guint round = 0; round < 3; round++)
    {
      for (guint i = 0; i < slow->len; i++)
        raw_send (g_ptr_array_index (slow, i), "X", 1);
      assert_serving (server);
      g_usleep (200 * 1000);
    }
  /* Keep trickling until the server has closed every one of them. */
  deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  while (closed < slow->len && g_get_monotonic_time () < deadline)
    {
      closed = 0;
      for (guint i = 0; i < slow->len; i++)
        {
          GSocket *socket = g_ptr_array_index (slow, i);
          char byte;

          if (g_socket_condition_check (socket, G_IO_IN | G_IO_HUP) != 0
              && g_socket_receive_with_blocking (socket, &byte, 1, FALSE, NULL, NULL) <= 0)
            closed++;
          else
            raw_send (socket, "Y", 1);
        }
      g_usleep (300 * 1000);
    }
  assert_int_equal (closed, slow->len);
  assert_serving (server);
}

/* 100,000 nested '[' (once a stack overflow in json-glib) are a 4xx and the
 * server keeps serving; a stored value is capped and the state is written
 * compact, so a nested value no longer multiplies on disk. */
static void
test_nested_json (void **state)
{
  TestServer *server = fixture.server;
  g_autoptr (GString) deep = g_string_new ("{\"values\": ");
  g_autoptr (GString) big = g_string_new ("{\"changes\": {\"exp_name\": \"");
  g_autoptr (GString) nested = g_string_new ("{\"changes\": {\"exp_name\": ");
  g_autofree char *state_file = NULL;
  g_autofree char *saved = NULL;

  for (guint i = 0; i < 100000; i++)
    g_string_append_c (deep, '[');
  for (const char *const *path = (const char *const[]){ "/api/evaluate/train", "/api/pages/train",
                                                        "/api/build/train", NULL };
       *path != NULL; path++)
    {
      g_autoptr (TestResponse) response = test_post_json (server, *path, deep->str);
      assert_int_equal (response->status, 400);
      test_assert_contains (response->body, "nest deeper than 64 levels");
      assert_serving (server);
    }

  /* Blank text is no JSON value (the fuzzer found it once crashed the
   * request reader). */
  {
    g_autoptr (TestResponse) response = test_post_json (server, "/api/evaluate/train", " \n ");
    assert_int_equal (response->status, 400);
    assert_serving (server);
  }

  for (guint i = 0; i < 70000; i++)
    g_string_append_c (big, 'x');
  g_string_append (big, "\"}}");
  {
    g_autoptr (TestResponse) response = test_post_json (server, "/api/pages/train", big->str);
    assert_int_equal (response->status, 413);
    test_assert_contains (response->body, "the value of exp_name is 70002 bytes");
  }

  for (guint i = 0; i < 60; i++)
    g_string_append_c (nested, '[');
  for (guint i = 0; i < 60; i++)
    g_string_append_c (nested, ']');
  g_string_append (nested, "}}");
  {
    g_autoptr (TestResponse) response = test_post_json (server, "/api/pages/train", nested->str);
    assert_int_equal (response->status, 200);
  }
  state_file
      = g_build_filename (fixture.workspace, ".cmdbuilder", "ui", "pages", "train.json", NULL);
  saved = cmdb_test_read_file (state_file);
  /* Compact: the 120 brackets, not 60 indented lines. */
  test_assert_contains (saved, "[[[[[[[[[[");
  assert_true (strlen (saved) < 4096);
  assert_serving (server);
}

/* A terminal escape in a free-text value is a field error with the page's
 * HTML showing it escaped, never raw. */
static void
test_control_character_field_error (void **state)
{
  g_autoptr (TestResponse) response = test_post_json (
      fixture.server, "/api/pages/train", "{\"changes\": {\"exp_name\": \"a\\u001b[2Jb\"}}");
  g_autoptr (JsonNode) answer = test_expect_json (response, 200, "POST /api/pages/train");
  const char *html = json_object_get_string_member (json_node_get_object (answer), "html");

  test_assert_contains (html, "U+001B (a control character)");
  test_assert_contains (html, "a\\e[2Jb");
  assert_null (strchr (html, 0x1b));
}

/* Two requests on one connection: both answered, the connection kept
 * (libsoup keeps connections only while it has a listener of its own; the
 * guard gives it one nobody can reach). */
static void
test_keep_alive (void **state)
{
  TestServer *server = fixture.server;
  g_autoptr (GSocket) socket = raw_connect (server);
  g_autofree char *request = g_strdup_printf (
      "GET /api/pages HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nAuthorization: Bearer %s\r\n\r\n",
      server->port, server->token);
  g_autofree char *last = g_strdup_printf (
      "GET /api/pages HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nAuthorization: Bearer %s\r\n"
      "Connection: close\r\n\r\n",
      server->port, server->token);
  g_autofree char *answers = NULL;
  const char *second;

  /* The second request goes out only after the first answer came. */
  raw_send (socket, request, strlen (request));
  {
    char buffer[256];
    assert_true (g_socket_receive (socket, buffer, sizeof buffer, NULL, NULL) > 0);
  }
  g_usleep (100 * 1000);
  raw_send (socket, last, strlen (last));
  answers = raw_read_all (socket);
  second = strstr (answers, "HTTP/1.1 ");
  assert_non_null (second);
  assert_status_line (second, "HTTP/1.1 200 ");
}

/* 20 changes sent at once, each on its own connection: every one is
 * answered (after its save), and the file holds the state the server
 * shows (saves are merged, never reordered). */
static void
test_concurrent_saves (void **state)
{
  TestServer *server = fixture.server;
  g_autoptr (GPtrArray) sockets = g_ptr_array_new_with_free_func (g_object_unref);
  g_autofree char *state_file
      = g_build_filename (fixture.workspace, ".cmdbuilder", "ui", "pages", "train.json", NULL);
  g_autofree char *saved = NULL;
  g_autoptr (JsonNode) saved_node = NULL;
  g_autoptr (JsonNode) shown = NULL;

  for (guint i = 0; i < 20; i++)
    {
      g_autofree char *body = g_strdup_printf ("{\"changes\": {\"exp_name\": \"run_%02u\"}}", i);
      g_autofree char *request = g_strdup_printf (
          "POST /api/pages/train HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nAuthorization: Bearer %s\r\n"
          "Content-Type: application/json\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
          server->port, server->token, strlen (body), body);
      GSocket *socket = raw_connect (server);

      raw_send (socket, request, strlen (request));
      g_ptr_array_add (sockets, socket);
    }
  for (guint i = 0; i < sockets->len; i++)
    {
      g_autofree char *answer = raw_read_all (g_ptr_array_index (sockets, i));
      assert_status_line (answer, "HTTP/1.1 200 ");
    }
  saved = cmdb_test_read_file (state_file);
  saved_node = json_from_string (saved, NULL);
  assert_non_null (saved_node);
  {
    g_autoptr (TestResponse) response = test_get (server, "/api/pages/train");
    shown = test_expect_json (response, 200, "GET /api/pages/train");
  }
  assert_string_equal (
      json_object_get_string_member (
          json_object_get_object_member (json_node_get_object (saved_node), "values"), "exp_name"),
      json_object_get_string_member (
          json_object_get_object_member (
              json_object_get_object_member (json_node_get_object (shown), "state"), "values"),
          "exp_name"));
}

/* The state directory on a small tmpfs that then fills up: a change whose
 * save fails is answered 507 with the reason, never 200. Mounting needs
 * root: skipped (with a message) elsewhere. */
static void
test_state_save_on_full_disk (void **state)
{
  g_autofree char *mount_point = g_build_filename (fixture.tmp, "small-disk", NULL);
  g_autofree char *ini = g_build_filename (fixture.workspace, "cmdbuilder.ini", NULL);
  TestServer *server;

  g_mkdir_with_parents (mount_point, 0700);
  if (!cmdb_test_mount_tmpfs (mount_point, "256k"))
    {
      print_message ("# skipped: mounting a small tmpfs needs root\n");
      skip ();
    }
  {
    g_autofree char *text = cmdb_test_read_file (ini);
    g_autofree char *more = g_strdup_printf ("%s\n[workspace]\nstate=%s\n", text, mount_point);
    assert_true (g_file_set_contents (ini, more, -1, NULL));
  }
  server = test_fixture_restart (NULL, TRUE);
  assert_serving (server);
  {
    g_autoptr (TestResponse) response
        = test_post_json (server, "/api/pages/train", "{\"changes\": {\"exp_name\": \"a1\"}}");
    assert_int_equal (response->status, 200);
  }
  cmdb_test_fill_disk (mount_point);
  {
    g_autoptr (TestResponse) response
        = test_post_json (server, "/api/pages/train", "{\"changes\": {\"exp_name\": \"b2\"}}");
    assert_int_equal (response->status, 507);
    test_assert_contains (response->body, "could not be saved");
  }
  assert_serving (server);
  test_server_stop (server);
  cmdb_test_unmount (mount_point);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_hostile_content_length, test_fixture_setup_login,
                                     test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_oversized_head, test_fixture_setup_login,
                                     test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_nested_json, test_fixture_setup_login,
                                     test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_control_character_field_error, test_fixture_setup_login,
                                     test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_keep_alive, test_fixture_setup_login,
                                     test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_concurrent_saves, test_fixture_setup_login,
                                     test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_state_save_on_full_disk, test_fixture_setup_login,
                                     test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_fd_limit, test_fixture_setup_login,
                                     test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_trickling_headers, test_fixture_setup_login,
                                     test_fixture_teardown),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
