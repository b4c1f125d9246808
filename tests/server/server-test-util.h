/* server-test-util.h: a `cmdbuilder serve` subprocess and a raw HTTP/1.1
 * client (GSocketClient; no libsoup client, so every header, including a
 * forged Host, is exactly what the test writes). */
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

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TestResponse, test_response_free)
