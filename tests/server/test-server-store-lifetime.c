#define G_LOG_DOMAIN "cmdb-test"

/* A page's state outlives the server that saves it: the server is freed
 * (as `serve` does when its wait for saves in flight runs out) while a
 * save is still being written in a worker thread and another waits behind
 * it. The write must finish, the waiting save must still be written, and
 * nothing may touch freed memory (AddressSanitizer builds abort on that).
 *
 * The server runs in this process (as the HTTP fuzz harness runs it), fed
 * from memory streams. The slow write is a real file-system situation: the
 * page's state file is replaced by a FIFO, and a save reads the file it
 * replaces first (never writing over a newer build's state), so the worker
 * blocks in open() until the test opens the FIFO's other end. */

#include "server-test-util.h"

#include "cmdb-server-resource-private.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct
{
  GInputStream *input;
  GOutputStream *output;
} MemoryConnection;

static void
memory_connection_free (MemoryConnection *connection)
{
  g_object_unref (connection->input);
  g_object_unref (connection->output);
  g_free (connection);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MemoryConnection, memory_connection_free)

/* Hands @request (one whole HTTP/1.1 request) to @server as a connection. */
static MemoryConnection *
send_request (CmdbServer *server, const char *request)
{
  MemoryConnection *connection = g_new0 (MemoryConnection, 1);
  g_autoptr (GIOStream) stream = NULL;
  g_autoptr (GError) error = NULL;

  connection->input
      = g_memory_input_stream_new_from_data (g_strdup (request), (gssize) strlen (request), g_free);
  connection->output = g_memory_output_stream_new_resizable ();
  stream = g_simple_io_stream_new (connection->input, connection->output);
  assert_true (cmdb_server_accept_stream (server, stream, &error));
  return connection;
}

static char *
post_request (const char *path, const char *json)
{
  return g_strdup_printf ("POST %s HTTP/1.1\r\nHost: 127.0.0.1:8501\r\n"
                          "Origin: http://127.0.0.1:8501\r\nContent-Type: application/json\r\n"
                          "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
                          path, strlen (json), json);
}

/* Turns the main loop until @done (@data) holds, failing after 20 s. */
static void
iterate_until (gboolean (*done) (gpointer data), gpointer data, const char *what)
{
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  while (!done (data))
    {
      if (g_get_monotonic_time () > deadline)
        {
          g_printerr ("timed out waiting until %s\n", what);
          fail ();
        }
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (1000);
    }
}

static gboolean
answered (gpointer data)
{
  MemoryConnection *connection = data;

  return g_memory_output_stream_get_data_size (G_MEMORY_OUTPUT_STREAM (connection->output)) > 0
         && g_input_stream_is_closed (connection->input);
}

static gboolean
save_waiting (gpointer data)
{
  CmdbPageStore *store = data;

  return store->waiting != NULL && store->waiting->len > 0;
}

typedef struct
{
  const char *path;
  int fd;
} FifoWriter;

/* TRUE once a reader (the save's worker) has the FIFO open: opening the
 * writing end without blocking succeeds only then. */
static gboolean
fifo_has_reader (gpointer data)
{
  FifoWriter *writer = data;

  writer->fd = open (writer->path, O_WRONLY | O_NONBLOCK);
  if (writer->fd < 0)
    assert_int_equal (errno, ENXIO);
  return writer->fd >= 0;
}

static gboolean
file_holds (gpointer data)
{
  const char *const *path_and_text = data;
  g_autofree char *contents = NULL;
  struct stat info;

  return g_stat (path_and_text[0], &info) == 0 && S_ISREG (info.st_mode)
         && g_file_get_contents (path_and_text[0], &contents, NULL, NULL)
         && strstr (contents, path_and_text[1]) != NULL;
}

static void
test_store_outlives_server (void **state)
{
  g_autoptr (GError) error = NULL;
  CmdbTestSession *session = cmdb_test_session_new (fixture.workspace, NULL);
  CmdbServerOptions options = { .bind = "127.0.0.1", .port = 0, .no_token = TRUE };
  CmdbServer *server = cmdb_server_new (session->context, session->host, &options, &error);
  g_autofree char *state_file
      = g_build_filename (fixture.workspace, ".cmdbuilder", "ui", "pages", "train.json", NULL);
  g_autofree char *first
      = post_request ("/api/pages/train", "{\"changes\": {\"exp_name\": \"a\"}}");
  g_autofree char *blocked
      = post_request ("/api/pages/train", "{\"changes\": {\"exp_name\": \"in_flight\"}}");
  g_autofree char *queued
      = post_request ("/api/pages/train", "{\"changes\": {\"exp_name\": \"queued\"}}");
  g_autoptr (MemoryConnection) one = NULL;
  g_autoptr (MemoryConnection) two = NULL;
  g_autoptr (MemoryConnection) three = NULL;
  const char *wanted[] = { state_file, "\"exp_name\":\"queued\"" };
  FifoWriter writer = { state_file, -1 };
  CmdbPageStore *store;

  assert_non_null (server);
  /* A first change, saved and answered: the store exists, so does its file. */
  one = send_request (server, first);
  iterate_until (answered, one, "the first change is answered");
  assert_true (g_file_test (state_file, G_FILE_TEST_IS_REGULAR));

  /* The next save blocks in its worker thread on the FIFO; a third change
   * waits behind it. */
  assert_int_equal (g_unlink (state_file), 0);
  assert_int_equal (mkfifo (state_file, 0600), 0);
  two = send_request (server, blocked);
  iterate_until (fifo_has_reader, &writer, "the save's worker opens the state file");
  store = cmdb_server_get_page_store (server, "train");
  three = send_request (server, queued);
  iterate_until (save_waiting, store, "the third change waits for the save in flight");

  /* The server goes away with both saves unfinished; then the file system
   * lets the write go on. */
  cmdb_server_free (server);
  assert_int_equal (close (writer.fd), 0);

  /* The write in flight ends and the one waiting is written after it. */
  iterate_until (file_holds, (gpointer) wanted, "the waiting save is written");
  for (guint i = 0; i < 100; i++)
    g_main_context_iteration (NULL, FALSE);
  cmdb_test_session_free (session);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_store_outlives_server, test_fixture_setup,
                                     test_fixture_teardown),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
