/* server-test-util.h: a `cmdbuilder serve` subprocess and a raw HTTP/1.1
 * client (GSocketClient; no libsoup client, so every header, including a
 * forged Host, is exactly what the test writes), and the cmocka fixtures
 * every server test shares: a temporary copy of the demo workspace and the
 * server on it. */
#pragma once

#include "test-util.h"

typedef struct
{
  GPid pid;
  char *url;   /* the start URL it printed */
  char *token; /* (nullable) */
  guint port;
  char *cookie; /* "name=value" after test_server_login() */
} TestServer;

typedef struct
{
  guint status;
  GHashTable *headers; /* lower-case name -> value (repeated names joined by "\n") */
  char *body;
} TestResponse;

/* Starts `cmdbuilder serve --workspace @workspace --port 0` plus @extra_args
 * (NULL-terminated, nullable) and reads the URL from its stdout. */
TestServer *test_server_start (const char *workspace, const char *const *extra_args);
/* The same, running @child_setup (nullable) in the child before exec (to
 * set resource limits, for example). */
TestServer *test_server_start_full (const char *workspace, const char *const *extra_args,
                                    GSpawnChildSetupFunc child_setup, gpointer child_data);
/* SIGTERM, wait for the exit; returns the exit status. Idempotent. */
int test_server_stop (TestServer *server);
void test_server_free (TestServer *server);
/* Exchanges the token for the cookie (asserting the redirect). */
void test_server_login (TestServer *server);

/* One request. @headers: NULL-terminated "Name: value" lines; a "Host:"
 * line replaces the default 127.0.0.1:PORT. @body nullable. */
TestResponse *test_http (TestServer *server, const char *method, const char *path,
                         const char *const *headers, const char *body);
/* GET/POST with the login cookie (and Origin for POST). */
TestResponse *test_get (TestServer *server, const char *path);
TestResponse *test_post_json (TestServer *server, const char *path, const char *json);
const char *test_response_header (TestResponse *response, const char *name);
/* (transfer full): the body parsed; fails the test when it is not JSON. */
JsonNode *test_response_json (TestResponse *response);
void test_response_free (TestResponse *response);

/* Copies examples/ocr-workspace to @tmp/ws; (transfer full) its path. */
char *test_copy_demo_workspace (const char *tmp);

/* What every server test works on: one test at a time, so one global that
 * the cmocka fixtures below fill before a test and clear after it. */
typedef struct
{
  char *tmp;          /* (owned) temporary directory, removed by the teardown */
  char *workspace;    /* (owned) the demo workspace copied into tmp */
  TestServer *server; /* (owned) (nullable) the running server */
} TestServerFixture;

extern TestServerFixture fixture;

/* cmocka setup: an isolated environment in a new temporary directory holding
 * a copy of the demo workspace; no server. */
int test_fixture_setup (void **state);
/* cmocka setup: test_fixture_setup() and a server on the workspace. */
int test_fixture_setup_server (void **state);
/* cmocka setup: test_fixture_setup_server() and the login cookie. */
int test_fixture_setup_login (void **state);
/* cmocka teardown: stops the server and removes the temporary directory. */
int test_fixture_teardown (void **state);
/* Replaces the fixture's server by a new one started with @extra_args
 * (NULL-terminated, nullable), logged in when @login. Returns (transfer none)
 * the new server, owned by the fixture. */
TestServer *test_fixture_restart (const char *const *extra_args, gboolean login);

/* TRUE when the "argv" of @run (a run as the API shows it) holds @word. */
gboolean test_run_argv_has (JsonObject *run, const char *word);
/* Fails the test, naming both, when @needle is not in @haystack (nullable). */
void test_assert_contains (const char *haystack, const char *needle);
/* (transfer full): @response's body parsed; fails the test, naming @what,
 * when the status is not @status or the body is not JSON. */
JsonNode *test_expect_json (TestResponse *response, guint status, const char *what);
/* (transfer full): POSTs @json to @path on the fixture's server (logged in)
 * and returns the parsed answer; fails the test when the status is not
 * @status. */
JsonNode *test_fixture_post_json (const char *path, const char *json, guint status);

/* A POST answered on another thread, so a test can see whether it is still
 * waiting while other requests are answered (liveness checks). */
typedef struct _TestPendingPost TestPendingPost;

/* Sends @json to @path (logged in) from a new thread. */
TestPendingPost *test_post_json_in_thread (TestServer *server, const char *path, const char *json);
/* Whether the answer has arrived. */
gboolean test_pending_post_answered (TestPendingPost *post);
/* Waits for the answer; returns it (transfer full) and frees @post. */
TestResponse *test_pending_post_wait (TestPendingPost *post);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TestResponse, test_response_free)
