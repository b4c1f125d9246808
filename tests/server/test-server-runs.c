/* Runs through the web UI's API on a copy of the demo workspace: starting a
 * page's run, the event stream (lines, collapsed \r progress, the end),
 * stopping, runs started by the CLI, reconnecting with an offset, a server
 * SIGKILLed mid-run, reruns and the diff of two runs' commands. */
#define G_LOG_DOMAIN "cmdb-test"

#include "server-test-util.h"

#include <signal.h>
#include <string.h>

static int
setup (void **state)
{
  /* The demo runners' epochs last this long; the server passes its
   * environment on to the runs. */
  g_setenv ("DEMO_EPOCH_SECONDS", "0.2", TRUE);
  return test_fixture_setup_login (state);
}

static JsonNode *
get_ok (const char *path)
{
  g_autoptr (TestResponse) response = test_get (fixture.server, path);
  return test_expect_json (response, 200, path);
}

/* ---- a Server-Sent Events client over a raw socket ---- */

typedef struct
{
  GSocketConnection *connection;
  GInputStream *input;
  GByteArray *raw;     /* bytes received, not yet decoded */
  GString *body;       /* decoded body, not yet parsed into events */
  gboolean chunk_done; /* the last chunk (size 0) arrived */
} EventReader;

typedef struct
{
  char *event;
  char *id; /* (nullable) */
  JsonNode *data;
} TestEvent;

static void
test_event_free (TestEvent *event)
{
  g_free (event->event);
  g_free (event->id);
  if (event->data != NULL)
    json_node_unref (event->data);
  g_free (event);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TestEvent, test_event_free)

static gboolean
read_more (EventReader *reader)
{
  guint8 buffer[8192];
  g_autoptr (GError) error = NULL;
  gssize got = g_input_stream_read (reader->input, buffer, sizeof buffer, NULL, &error);

  if (got < 0)
    {
      print_error ("event stream: %s\n", error->message);
      fail ();
    }
  g_byte_array_append (reader->raw, buffer, (guint) got);
  return got > 0;
}

static EventReader *
events_open (const char *query, const char *last_event_id)
{
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GString) request = g_string_new (NULL);
  EventReader *reader = g_new0 (EventReader, 1);
  const char *end;

  /* A safety net, not a timing assertion: a broken stream fails the test
   * instead of hanging it. */
  g_socket_client_set_timeout (client, 120);
  reader->connection
      = g_socket_client_connect_to_host (client, "127.0.0.1", fixture.server->port, NULL, &error);
  assert_non_null (reader->connection);
  g_string_append_printf (request,
                          "GET /api/events?%s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nCookie: %s\r\n"
                          "Accept: text/event-stream\r\n",
                          query, fixture.server->port, fixture.server->cookie);
  if (last_event_id != NULL)
    g_string_append_printf (request, "Last-Event-ID: %s\r\n", last_event_id);
  g_string_append (request, "\r\n");
  assert_true (
      g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (reader->connection)),
                                 request->str, request->len, NULL, NULL, NULL));
  reader->input = g_io_stream_get_input_stream (G_IO_STREAM (reader->connection));
  reader->raw = g_byte_array_new ();
  reader->body = g_string_new (NULL);
  while (reader->raw->len == 0
         || (end = g_strstr_len ((const char *) reader->raw->data, reader->raw->len, "\r\n\r\n"))
                == NULL)
    assert_true (read_more (reader));
  {
    g_autofree char *head
        = g_strndup ((const char *) reader->raw->data, end - (const char *) reader->raw->data);
    g_autofree char *lower = g_ascii_strdown (head, -1);

    if (!g_str_has_prefix (head, "HTTP/1.1 200"))
      {
        print_error ("event stream refused: %s\n", head);
        fail ();
      }
    test_assert_contains (lower, "content-type: text/event-stream");
    test_assert_contains (lower, "transfer-encoding: chunked");
    g_byte_array_remove_range (reader->raw, 0,
                               (guint) (end + 4 - (const char *) reader->raw->data));
  }
  return reader;
}

static void
events_close (EventReader *reader)
{
  g_io_stream_close (G_IO_STREAM (reader->connection), NULL, NULL);
  g_object_unref (reader->connection);
  g_byte_array_unref (reader->raw);
  g_string_free (reader->body, TRUE);
  g_free (reader);
}

/* Decodes the complete chunks received so far into reader->body. */
static void
decode_chunks (EventReader *reader)
{
  for (;;)
    {
      const char *data = (const char *) reader->raw->data;
      const char *line_end
          = reader->raw->len > 0 ? g_strstr_len (data, reader->raw->len, "\r\n") : NULL;
      guint64 size;
      gsize header;

      if (line_end == NULL)
        return;
      size = g_ascii_strtoull (data, NULL, 16);
      header = (gsize) (line_end - data) + 2;
      if (reader->raw->len < header + size + 2)
        return;
      g_string_append_len (reader->body, data + header, (gssize) size);
      g_byte_array_remove_range (reader->raw, 0, (guint) (header + size + 2));
      if (size == 0)
        {
          reader->chunk_done = TRUE;
          return;
        }
    }
}

/* The next event (comments and "retry" skipped); NULL at the end. */
static TestEvent *
events_next (EventReader *reader)
{
  for (;;)
    {
      char *end;

      decode_chunks (reader);
      while ((end = strstr (reader->body->str, "\n\n")) != NULL)
        {
          g_autofree char *block = g_strndup (reader->body->str, end - reader->body->str);
          g_auto (GStrv) lines = g_strsplit (block, "\n", -1);
          TestEvent *event = g_new0 (TestEvent, 1);

          g_string_erase (reader->body, 0, end + 2 - reader->body->str);
          for (guint i = 0; lines[i] != NULL; i++)
            {
              if (g_str_has_prefix (lines[i], "event: "))
                event->event = g_strdup (lines[i] + 7);
              else if (g_str_has_prefix (lines[i], "id: "))
                event->id = g_strdup (lines[i] + 4);
              else if (g_str_has_prefix (lines[i], "data: "))
                {
                  g_autoptr (JsonParser) parser = json_parser_new ();
                  assert_true (json_parser_load_from_data (parser, lines[i] + 6, -1, NULL));
                  event->data = json_node_copy (json_parser_get_root (parser));
                }
            }
          if (event->event != NULL)
            return event;
          test_event_free (event);
        }
      if (reader->chunk_done || !read_more (reader))
        return NULL;
    }
}

static const char *
data_string (TestEvent *event, const char *name)
{
  return json_object_get_string_member (json_node_get_object (event->data), name);
}

/* What one run's events said, gathered. */
typedef struct
{
  GPtrArray *stdout_lines; /* (element-type utf8) */
  GPtrArray *stderr_lines;
  GPtrArray *classes; /* "class text" of every line */
  GPtrArray *statuses;
  char *last_id;
  JsonNode *end; /* (nullable) the "end" event's record */
  guint outputs;
} Gathered;

static void
gathered_init (Gathered *gathered)
{
  gathered->stdout_lines = g_ptr_array_new_with_free_func (g_free);
  gathered->stderr_lines = g_ptr_array_new_with_free_func (g_free);
  gathered->classes = g_ptr_array_new_with_free_func (g_free);
  gathered->statuses = g_ptr_array_new_with_free_func (g_free);
}

static void
gathered_clear (Gathered *gathered)
{
  g_ptr_array_unref (gathered->stdout_lines);
  g_ptr_array_unref (gathered->stderr_lines);
  g_ptr_array_unref (gathered->classes);
  g_ptr_array_unref (gathered->statuses);
  g_free (gathered->last_id);
  if (gathered->end != NULL)
    json_node_unref (gathered->end);
}

/* Reads events of @run_id until "end", or until @max_outputs output
 * events with lines arrived (0: no limit). */
static void
gather (EventReader *reader, const char *run_id, Gathered *gathered, guint max_outputs)
{
  for (;;)
    {
      g_autoptr (TestEvent) event = events_next (reader);

      if (event == NULL)
        {
          print_error ("the event stream ended before the run did\n");
          fail ();
        }
      if (event->id != NULL)
        {
          g_free (gathered->last_id);
          gathered->last_id = g_strdup (event->id);
        }
      if (g_str_equal (event->event, "status") && g_str_equal (data_string (event, "id"), run_id))
        g_ptr_array_add (gathered->statuses, g_strdup (data_string (event, "status")));
      if (g_str_equal (event->event, "output") && g_str_equal (data_string (event, "run"), run_id))
        {
          JsonArray *lines
              = json_object_get_array_member (json_node_get_object (event->data), "lines");
          gboolean is_stdout = g_str_equal (data_string (event, "stream"), "stdout");

          for (guint i = 0; i < json_array_get_length (lines); i++)
            {
              JsonObject *line = json_array_get_object_element (lines, i);
              const char *text = json_object_get_string_member (line, "text");

              g_ptr_array_add (is_stdout ? gathered->stdout_lines : gathered->stderr_lines,
                               g_strdup (text));
              g_ptr_array_add (
                  gathered->classes,
                  g_strdup_printf ("%s %s", json_object_get_string_member (line, "class"), text));
            }
          if (json_array_get_length (lines) > 0 && max_outputs > 0
              && ++gathered->outputs >= max_outputs)
            return;
        }
      if (g_str_equal (event->event, "end") && g_str_equal (data_string (event, "id"), run_id))
        {
          gathered->end = json_node_ref (event->data);
          return;
        }
    }
}

/* The display lines of a whole log, as CmdbLogView makes them. */
static GPtrArray *
expected_lines (const char *run_id, const char *stream)
{
  g_autofree char *path = g_strdup_printf ("/api/runs/%s/log?stream=%s", run_id, stream);
  g_autoptr (TestResponse) response = test_get (fixture.server, path);
  g_autoptr (CmdbLogView) view = cmdb_log_view_new (8 * 1024);
  GPtrArray *lines = g_ptr_array_new_with_free_func (g_free);

  assert_int_equal (response->status, 200);
  cmdb_log_view_feed (view, response->body, strlen (response->body), lines);
  cmdb_log_view_finish (view, lines);
  return lines;
}

static void
assert_same_lines (GPtrArray *expected, GPtrArray *actual, const char *what)
{
  if (expected->len != actual->len)
    {
      print_error ("%s: %u lines expected, %u received\n", what, expected->len, actual->len);
      fail ();
    }
  for (guint i = 0; i < expected->len; i++)
    if (!g_str_equal (expected->pdata[i], actual->pdata[i]))
      {
        print_error ("%s line %u: expected '%s', got '%s'\n", what, i, (char *) expected->pdata[i],
                     (char *) actual->pdata[i]);
        fail ();
      }
}

static char *
start_page_run (const char *page)
{
  g_autofree char *body = g_strdup_printf ("{\"page\": \"%s\"}", page);
  g_autoptr (JsonNode) run = test_fixture_post_json ("/api/runs", body, 201);

  return g_strdup (json_object_get_string_member (json_node_get_object (run), "id"));
}

static JsonObject *
run_record (JsonNode *node)
{
  return json_node_get_object (node);
}

/* Follows @run_id to its end; returns (transfer full) the final record. */
static JsonNode *
wait_end (const char *run_id)
{
  g_autofree char *query = g_strdup_printf ("runs=%s", run_id);
  EventReader *reader = events_open (query, NULL);
  Gathered gathered = { 0 };
  JsonNode *end;

  gathered_init (&gathered);
  gather (reader, run_id, &gathered, 0);
  end = json_node_ref (gathered.end);
  gathered_clear (&gathered);
  events_close (reader);
  return end;
}

/* ---- tests ---- */

/* Train with max_epochs=2 from the page's state: lines and the collapsed
 * progress arrive, the run succeeds, the page remembers it. */
static void
test_page_run_streams (void **state)
{
  g_autoptr (JsonNode) page
      = test_fixture_post_json ("/api/pages/train", "{\"changes\": {\"max_epochs\": 2}}", 200);
  g_autofree char *id = start_page_run ("train");
  g_autofree char *query = g_strdup_printf ("runs=%s", id);
  g_autoptr (JsonNode) record = NULL;
  g_autoptr (GPtrArray) out = NULL;
  g_autoptr (GPtrArray) err = NULL;
  g_autofree char *raw_path = g_strdup_printf ("/api/runs/%s/log?stream=stdout", id);
  g_autoptr (TestResponse) raw = NULL;
  g_autoptr (JsonNode) after = NULL;
  EventReader *reader;
  Gathered gathered = { 0 };
  gboolean metrics = FALSE, progress = FALSE;

  g_autofree char *run_path = g_strdup_printf ("/api/runs/%s", id);
  record = get_ok (run_path);
  assert_true (test_run_argv_has (run_record (record), "trainer.max_epochs=2"));
  assert_string_equal (json_object_get_string_member (run_record (record), "page"), "train");
  /* The experiment name as the page gives it (for `cmdbuilder runs`). */
  assert_true (g_str_has_prefix (json_object_get_string_member (run_record (record), "experiment"),
                                 "ocr_training"));

  reader = events_open (query, NULL);
  gathered_init (&gathered);
  gather (reader, id, &gathered, 0);
  events_close (reader);

  assert_string_equal (json_object_get_string_member (run_record (gathered.end), "status"),
                       "succeeded");
  assert_int_equal (json_object_get_int_member (run_record (gathered.end), "exit_code"), 0);
  /* Every byte became a line, in order, exactly as a view of the whole
   * log makes them. */
  out = expected_lines (id, "stdout");
  err = expected_lines (id, "stderr");
  assert_same_lines (out, gathered.stdout_lines, "stdout");
  assert_same_lines (err, gathered.stderr_lines, "stderr");
  /* The log keeps the progress bar's carriage returns; the lines do not. */
  raw = test_get (fixture.server, raw_path);
  assert_non_null (strchr (raw->body, '\r'));
  for (guint i = 0; i < gathered.classes->len; i++)
    {
      const char *line = gathered.classes->pdata[i];
      assert_null (strchr (line, '\r'));
      if (g_str_has_prefix (line, "metrics ") && strstr (line, "loss") != NULL)
        metrics = TRUE;
      if (strstr (line, "100%|") != NULL)
        progress = TRUE;
    }
  assert_true (metrics);
  assert_true (progress);
  gathered_clear (&gathered);

  /* The page's last_run slot names it (it survives switches and restarts). */
  after = get_ok ("/api/pages/train");
  assert_string_equal (
      json_object_get_string_member (
          json_object_get_object_member (
              json_object_get_object_member (json_node_get_object (after), "state"), "last_run"),
          "id"),
      id);
  test_assert_contains (json_object_get_string_member (json_node_get_object (after), "html"), id);
  (void) page;
}

static void
test_stop (void **state)
{
  g_autofree char *id = start_page_run ("train");
  g_autofree char *stop_path = g_strdup_printf ("/api/runs/%s/stop", id);
  g_autoptr (JsonNode) stopping = test_fixture_post_json (stop_path, "", 202);
  g_autoptr (JsonNode) end = wait_end (id);
  g_autoptr (TestResponse) again = NULL;
  g_autoptr (JsonNode) error = NULL;
  g_autofree char *expected = g_strdup_printf ("run %s has already ended (stopped)", id);

  assert_string_equal (json_object_get_string_member (run_record (end), "status"), "stopped");
  assert_true (json_object_has_member (run_record (end), "stop_requested_at"));
  again = test_post_json (fixture.server, stop_path, "");
  error = test_expect_json (again, 409, "second stop");
  assert_string_equal (json_object_get_string_member (json_node_get_object (error), "error"),
                       expected);
  (void) stopping;
}

/* A run the CLI started in the same workspace: listed, and streamed; a
 * reconnect with the last event id (or explicit offsets) loses no line. */
static char *
cli_exec_detached (const char *script)
{
  g_autofree char *cmdbuilder = cmdb_test_cmdbuilder ();
  const char *argv[] = { cmdbuilder, "exec",  "--workspace", fixture.workspace,
                         "--page",   "train", "--detach",    "--",
                         "sh",       "-c",    script,        NULL };
  g_autofree char *err = NULL;
  int status = -1;
  char *out = cmdb_test_run (argv, fixture.workspace, &err, &status);

  if (status != 0)
    g_printerr ("# exec --detach exited with %d: %s\n", status, err);
  assert_int_equal (status, 0);
  return g_strstrip (out);
}

static const char slow_script[]
    = "i=0; while [ $i -lt 30 ]; do echo \"line $i\"; printf 'progress %d%%\\r' $i; "
      "i=$((i+1)); sleep 0.03; done; echo; echo done >&2";

static void
reconnect_case (gboolean use_last_event_id)
{
  g_autofree char *id = cli_exec_detached (slow_script);
  g_autofree char *query = g_strdup_printf ("runs=%s", id);
  g_autoptr (JsonNode) list = get_ok ("/api/runs?page=train");
  g_autoptr (GPtrArray) out = NULL;
  g_autoptr (GPtrArray) err = NULL;
  Gathered gathered = { 0 };
  EventReader *reader;
  JsonArray *runs = json_object_get_array_member (json_node_get_object (list), "runs");

  cmdb_test_find_by_id (runs, id, "GET /api/runs");

  gathered_init (&gathered);
  reader = events_open (query, NULL);
  gather (reader, id, &gathered, 1);
  events_close (reader);
  assert_non_null (gathered.last_id);
  if (use_last_event_id)
    reader = events_open ("", gathered.last_id);
  else
    {
      g_autofree char *offsets = g_strdup_printf ("runs=%s", gathered.last_id);
      reader = events_open (offsets, NULL);
    }
  gather (reader, id, &gathered, 0);
  events_close (reader);

  out = expected_lines (id, "stdout");
  err = expected_lines (id, "stderr");
  assert_int_equal (out->len, 31);
  assert_same_lines (out, gathered.stdout_lines, "stdout across a reconnect");
  assert_same_lines (err, gathered.stderr_lines, "stderr across a reconnect");
  assert_string_equal (json_object_get_string_member (run_record (gathered.end), "status"),
                       "succeeded");
  gathered_clear (&gathered);
}

static void
test_cli_run_reconnect_last_event_id (void **state)
{
  reconnect_case (TRUE);
}

static void
test_cli_run_reconnect_offsets (void **state)
{
  reconnect_case (FALSE);
}

/* The supervisor is independent: a server killed mid-run finds the run
 * again after a restart, with its real exit status. */
static void
test_server_killed (void **state)
{
  g_autoptr (JsonNode) page
      = test_fixture_post_json ("/api/pages/train", "{\"changes\": {\"max_epochs\": 2}}", 200);
  g_autofree char *id = start_page_run ("train");
  g_autofree char *path = g_strdup_printf ("/api/runs/%s", id);
  g_autoptr (JsonNode) end = NULL;
  g_autoptr (JsonNode) record = NULL;

  kill (fixture.server->pid, SIGKILL);
  assert_int_equal (test_server_stop (fixture.server), -1);
  test_fixture_restart (NULL, TRUE);

  end = wait_end (id);
  record = get_ok (path);
  assert_string_equal (json_object_get_string_member (run_record (record), "status"), "succeeded");
  assert_int_equal (json_object_get_int_member (run_record (record), "exit_code"), 0);
  (void) page;
}

/* A run that fails keeps its exit status too. */
static void
test_failed_run_status (void **state)
{
  g_autofree char *id = cli_exec_detached ("echo 'Traceback: boom' >&2; exit 3");
  g_autoptr (JsonNode) end = wait_end (id);
  g_autoptr (GPtrArray) err = expected_lines (id, "stderr");

  assert_string_equal (json_object_get_string_member (run_record (end), "status"), "failed");
  assert_int_equal (json_object_get_int_member (run_record (end), "exit_code"), 3);
  assert_int_equal (err->len, 1);
}

static void
test_rerun_and_diff (void **state)
{
  g_autoptr (JsonNode) page
      = test_fixture_post_json ("/api/pages/train", "{\"changes\": {\"max_epochs\": 2}}", 200);
  g_autofree char *first = start_page_run ("train");
  g_autoptr (JsonNode) first_end = wait_end (first);
  g_autoptr (JsonNode) changed
      = test_fixture_post_json ("/api/pages/train", "{\"changes\": {\"max_epochs\": 1}}", 200);
  g_autofree char *second = start_page_run ("train");
  g_autoptr (JsonNode) second_end = wait_end (second);
  g_autofree char *body = NULL;
  g_autoptr (JsonNode) by_argv = NULL;
  g_autoptr (JsonNode) by_values = NULL;
  g_autoptr (JsonNode) diff = NULL;
  g_autoptr (JsonNode) form = NULL;
  g_autofree char *diff_path = NULL;
  const char *html;

  /* Exact argv: the same command line again. */
  body = g_strdup_printf ("{\"rerun\": \"%s\", \"mode\": \"argv\"}", first);
  by_argv = test_fixture_post_json ("/api/runs", body, 201);
  assert_true (test_run_argv_has (run_record (by_argv), "trainer.max_epochs=2"));
  g_free (body);
  /* Form values: the form goes back to them, and runs. */
  body = g_strdup_printf ("{\"rerun\": \"%s\", \"mode\": \"values\"}", first);
  by_values = test_fixture_post_json ("/api/runs", body, 201);
  assert_true (test_run_argv_has (run_record (by_values), "trainer.max_epochs=2"));
  form = get_ok ("/api/pages/train");
  test_assert_contains (
      json_object_get_string_member (
          json_object_get_object_member (json_node_get_object (form), "command"), "command"),
      "trainer.max_epochs=2");

  diff_path = g_strdup_printf ("/api/runs/diff?a=%s&b=%s", first, second);
  diff = get_ok (diff_path);
  html = json_object_get_string_member (json_node_get_object (diff), "html");
  test_assert_contains (html, "<del>- trainer.max_epochs=2</del>");
  test_assert_contains (html, "<ins>+ trainer.max_epochs=1</ins>");
  assert_false (json_object_get_boolean_member (json_node_get_object (diff), "same"));

  json_node_unref (wait_end (json_object_get_string_member (run_record (by_argv), "id")));
  json_node_unref (wait_end (json_object_get_string_member (run_record (by_values), "id")));
  (void) page, (void) changed, (void) first_end, (void) second_end;
}

/* The user's edited text runs, recorded as edited. */
static void
test_edited_command (void **state)
{
  g_autofree char *runner = g_build_filename (fixture.workspace, "runners", "train.py", NULL);
  g_autofree char *body = g_strdup_printf (
      "{\"command\": \"python3 %s trainer.max_epochs=1 exp_name=edited\"}", runner);
  g_autoptr (JsonNode) page = test_fixture_post_json ("/api/pages/train", body, 200);
  g_autofree char *id = start_page_run ("train");
  g_autoptr (JsonNode) end = wait_end (id);

  assert_true (json_object_get_boolean_member (run_record (end), "edited"));
  assert_true (test_run_argv_has (run_record (end), "exp_name=edited"));
  assert_string_equal (json_object_get_string_member (run_record (end), "status"), "succeeded");
  (void) page;
}

/* The runs list: running first, then newest; filters. */
static void
test_list_order_and_filters (void **state)
{
  g_autofree char *done = cli_exec_detached ("exit 0");
  g_autoptr (JsonNode) done_end = wait_end (done);
  g_autofree char *going = cli_exec_detached ("sleep 30");
  g_autoptr (JsonNode) list = get_ok ("/api/runs");
  g_autoptr (JsonNode) running = get_ok ("/api/runs?status=running");
  g_autoptr (JsonNode) other_page = get_ok ("/api/runs?page=test");
  g_autofree char *stop_path = g_strdup_printf ("/api/runs/%s/stop", going);
  g_autoptr (JsonNode) stopping = NULL;
  g_autoptr (JsonNode) stopped = NULL;
  JsonArray *runs = json_object_get_array_member (json_node_get_object (list), "runs");

  assert_int_equal (json_array_get_length (runs), 2);
  assert_string_equal (
      json_object_get_string_member (json_array_get_object_element (runs, 0), "id"), going);
  assert_int_equal (
      json_array_get_length (json_object_get_array_member (json_node_get_object (running), "runs")),
      1);
  assert_int_equal (json_array_get_length (
                        json_object_get_array_member (json_node_get_object (other_page), "runs")),
                    0);
  stopping = test_fixture_post_json (stop_path, "", 202);
  stopped = wait_end (going);
  assert_string_equal (json_object_get_string_member (run_record (stopped), "status"), "stopped");
  (void) done_end;
}

/* The security rules hold for the new state-changing calls. */
static void
test_start_needs_origin (void **state)
{
  g_autofree char *cookie = g_strdup_printf ("Cookie: %s", fixture.server->cookie);
  const char *headers[] = { cookie, "Content-Type: application/json", NULL };
  g_autoptr (TestResponse) response
      = test_http (fixture.server, "POST", "/api/runs", headers, "{\"page\": \"train\"}");
  g_autoptr (JsonNode) list = get_ok ("/api/runs");

  assert_int_equal (response->status, 403);
  assert_int_equal (
      json_array_get_length (json_object_get_array_member (json_node_get_object (list), "runs")),
      0);
}

static void
expect_error (const char *method, const char *path, const char *body, guint status,
              const char *message)
{
  g_autoptr (TestResponse) response = g_str_equal (method, "GET")
                                          ? test_get (fixture.server, path)
                                          : test_post_json (fixture.server, path, body);
  g_autoptr (JsonNode) node = test_expect_json (response, status, path);

  assert_string_equal (json_object_get_string_member (json_node_get_object (node), "error"),
                       message);
}

static void
test_bad_start_request (void **state)
{
  expect_error ("POST", "/api/runs", "{}", 400, "expected {\"page\": ID} or {\"rerun\": RUN_ID}");
}

static void
test_start_unknown_page (void **state)
{
  expect_error ("POST", "/api/runs", "{\"page\": \"nope\"}", 404, "no page nope");
}

static void
test_unknown_run (void **state)
{
  expect_error ("GET", "/api/runs/20990101-000000-x-0000", NULL, 404,
                "no run '20990101-000000-x-0000'");
}

static void
test_bad_rerun_mode (void **state)
{
  g_autofree char *id = cli_exec_detached ("exit 0");
  g_autoptr (JsonNode) end = wait_end (id);
  g_autofree char *body = g_strdup_printf ("{\"rerun\": \"%s\", \"mode\": \"both\"}", id);

  expect_error ("POST", "/api/runs", body, 400,
                "mode must be \"values\" or \"argv\", not \"both\"");
}

static void
test_rerun_values_of_exec_run (void **state)
{
  g_autofree char *id = cli_exec_detached ("exit 0");
  g_autoptr (JsonNode) end = wait_end (id);
  g_autofree char *body = g_strdup_printf ("{\"rerun\": \"%s\", \"mode\": \"values\"}", id);
  g_autofree char *message
      = g_strdup_printf ("run %s has no page form values to rerun; rerun its argv instead", id);

  expect_error ("POST", "/api/runs", body, 422, message);
}

static void
test_bad_events_query (void **state)
{
  expect_error ("GET", "/api/events?runs=a:b", NULL, 400,
                "'a:b' is not RUN or RUN:STDOUT_OFFSET:STDERR_OFFSET");
}

/* Run output and commands are hostile text: escaped in the runs table,
 * never sniffed as HTML from the log. */
static void
test_hostile_run_escaped (void **state)
{
  g_autofree char *id = cli_exec_detached ("echo '<script>alert(1)</script>'");
  g_autoptr (JsonNode) end = wait_end (id);
  g_autoptr (JsonNode) list = get_ok ("/api/runs");
  g_autofree char *log_path = g_strdup_printf ("/api/runs/%s/log?stream=stdout", id);
  g_autoptr (TestResponse) log = test_get (fixture.server, log_path);
  const char *html = json_object_get_string_member (json_node_get_object (list), "html");

  test_assert_contains (html, "&lt;script&gt;alert(1)&lt;/script&gt;");
  assert_null (strstr (html, "<script>"));
  assert_string_equal (log->body, "<script>alert(1)</script>\n");
  assert_string_equal (test_response_header (log, "content-type"), "text/plain; charset=utf-8");
  assert_string_equal (test_response_header (log, "x-content-type-options"), "nosniff");
}

static void
test_bad_status_filter (void **state)
{
  expect_error ("GET", "/api/runs?status=sleeping", NULL, 400, "no run status sleeping");
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_page_run_streams, setup, test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_stop, setup, test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_cli_run_reconnect_last_event_id, setup,
                                     test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_cli_run_reconnect_offsets, setup, test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_server_killed, setup, test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_failed_run_status, setup, test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_rerun_and_diff, setup, test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_edited_command, setup, test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_list_order_and_filters, setup, test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_start_needs_origin, setup, test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_bad_start_request, setup, test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_start_unknown_page, setup, test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_unknown_run, setup, test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_bad_rerun_mode, setup, test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_rerun_values_of_exec_run, setup, test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_bad_events_query, setup, test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_bad_status_filter, setup, test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_hostile_run_escaped, setup, test_fixture_teardown),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
