/* The server's security rules: token and cookie, Host allow list (DNS
 * rebinding), Origin check of state-changing requests, --no-token only on
 * loopback. The pure checks are called directly; the rest goes through a
 * real `cmdbuilder serve` over raw HTTP. */
#define G_LOG_DOMAIN "cmdb-test"

#include "server-test-util.h"
#include "cmdb-server-private.h"

#include <string.h>

/* ---- pure checks ---- */

static void
test_token_format (void **state)
{
  g_autofree char *a = cmdb_server_token_new ();
  g_autofree char *b = cmdb_server_token_new ();

  /* 32 bytes in URL-safe base64 without padding: 43 characters. */
  assert_int_equal (strlen (a), 43);
  for (const char *c = a; *c != '\0'; c++)
    assert_true (g_ascii_isalnum (*c) || *c == '-' || *c == '_');
  assert_string_not_equal (a, b);
  assert_true (cmdb_server_token_equal (a, a));
  assert_false (cmdb_server_token_equal (a, b));
  assert_false (cmdb_server_token_equal (a, ""));
  assert_false (cmdb_server_token_equal (a, NULL));
  {
    g_autofree char *prefix = g_strndup (a, 42);
    g_autofree char *longer = g_strconcat (a, "x", NULL);
    assert_false (cmdb_server_token_equal (a, prefix));
    assert_false (cmdb_server_token_equal (a, longer));
  }
}

static void
test_host_rules (void **state)
{
  g_autoptr (GPtrArray) allowed = g_ptr_array_new ();

  assert_true (cmdb_server_host_is_allowed ("localhost", NULL));
  assert_true (cmdb_server_host_is_allowed ("localhost:8501", NULL));
  assert_true (cmdb_server_host_is_allowed ("LOCALHOST:1", NULL));
  assert_true (cmdb_server_host_is_allowed ("127.0.0.1:65535", NULL));
  assert_true (cmdb_server_host_is_allowed ("[::1]:8501", NULL));
  assert_true (cmdb_server_host_is_allowed ("[::1]", NULL));
  assert_false (cmdb_server_host_is_allowed (NULL, NULL));
  assert_false (cmdb_server_host_is_allowed ("", NULL));
  assert_false (cmdb_server_host_is_allowed ("evil.example", NULL));
  assert_false (cmdb_server_host_is_allowed ("evil.example:8501", NULL));
  assert_false (cmdb_server_host_is_allowed ("localhost.evil.example", NULL));
  assert_false (cmdb_server_host_is_allowed ("127.0.0.1.nip.io:8501", NULL));
  assert_false (cmdb_server_host_is_allowed ("localhost:85x", NULL));
  assert_false (cmdb_server_host_is_allowed ("::1", NULL));
  assert_false (cmdb_server_host_is_allowed ("[::1]x", NULL));
  assert_false (cmdb_server_host_is_allowed ("user@localhost", NULL));
  assert_false (cmdb_server_host_is_allowed ("localhost evil", NULL));

  g_ptr_array_add (allowed, "box.lan");
  g_ptr_array_add (allowed, "other.lan:9000");
  assert_true (cmdb_server_host_is_allowed ("box.lan", allowed));
  assert_true (cmdb_server_host_is_allowed ("BOX.lan:8501", allowed));
  assert_true (cmdb_server_host_is_allowed ("other.lan:9000", allowed));
  assert_false (cmdb_server_host_is_allowed ("other.lan:9001", allowed));
  assert_false (cmdb_server_host_is_allowed ("other.lan", allowed));
  assert_false (cmdb_server_host_is_allowed ("box.lan.evil", allowed));
}

static void
test_origin_rules (void **state)
{
  assert_true (cmdb_server_origin_matches ("http://127.0.0.1:8501", "127.0.0.1:8501"));
  assert_true (cmdb_server_origin_matches ("HTTP://LOCALHOST:8501", "localhost:8501"));
  assert_false (cmdb_server_origin_matches ("http://127.0.0.1:8502", "127.0.0.1:8501"));
  assert_false (cmdb_server_origin_matches ("https://127.0.0.1:8501", "127.0.0.1:8501"));
  assert_false (cmdb_server_origin_matches ("null", "127.0.0.1:8501"));
  assert_false (cmdb_server_origin_matches ("http://evil.example", "127.0.0.1:8501"));
  assert_false (cmdb_server_origin_matches (NULL, "127.0.0.1:8501"));
}

static void
test_loopback_and_cookies (void **state)
{
  g_autofree char *value = NULL;
  g_autofree char *missing = NULL;
  g_autofree char *prefix_only = NULL;

  assert_true (cmdb_server_bind_is_loopback ("127.0.0.1"));
  assert_true (cmdb_server_bind_is_loopback ("127.1.2.3"));
  assert_true (cmdb_server_bind_is_loopback ("::1"));
  assert_true (cmdb_server_bind_is_loopback ("localhost"));
  assert_false (cmdb_server_bind_is_loopback ("0.0.0.0"));
  assert_false (cmdb_server_bind_is_loopback ("::"));
  assert_false (cmdb_server_bind_is_loopback ("192.168.1.2"));
  assert_false (cmdb_server_bind_is_loopback ("box.lan"));

  value = cmdb_server_cookie_lookup ("a=1; cmdbuilder-token-80=abc; b=2", "cmdbuilder-token-80");
  assert_string_equal (value, "abc");
  missing = cmdb_server_cookie_lookup ("a=1", "cmdbuilder-token-80");
  assert_null (missing);
  prefix_only = cmdb_server_cookie_lookup ("xcmdbuilder-token-80=abc", "cmdbuilder-token-80");
  assert_null (prefix_only);
}

/* ---- through a running server ---- */

static void
test_start_url (void **state)
{
  assert_non_null (fixture.server->token);
  assert_int_equal (strlen (fixture.server->token), 43);
  assert_true (fixture.server->port > 0);
}

static void
assert_status (TestServer *s, const char *method, const char *path, const char *const *headers,
               const char *body, guint expected)
{
  g_autoptr (TestResponse) response = test_http (s, method, path, headers, body);

  if (response->status != expected)
    {
      print_error ("%s %s: status %u, expected %u; body: %s\n", method, path, response->status,
                   expected, response->body);
      fail ();
    }
}

static void
test_without_token_refused (void **state)
{
  static const char *const paths[] = { "/",
                                       "/train",
                                       "/api/plugins",
                                       "/api/pages",
                                       "/api/pages/train",
                                       "/assets/app.js",
                                       "/api/options/checkpoints" };

  for (gsize i = 0; i < G_N_ELEMENTS (paths); i++)
    assert_status (fixture.server, "GET", paths[i], NULL, NULL, 401);
  {
    const char *wrong_cookie[] = { "Cookie: cmdbuilder-token-1=nope", NULL };
    g_autofree char *other_port = g_strdup_printf ("Cookie: cmdbuilder-token-%u=%s",
                                                   fixture.server->port + 1, fixture.server->token);
    const char *cookie_of_other_port[] = { other_port, NULL };
    const char *wrong_bearer[] = { "Authorization: Bearer nope", NULL };

    assert_status (fixture.server, "GET", "/api/plugins", wrong_cookie, NULL, 401);
    assert_status (fixture.server, "GET", "/api/plugins", cookie_of_other_port, NULL, 401);
    assert_status (fixture.server, "GET", "/api/plugins", wrong_bearer, NULL, 401);
    assert_status (fixture.server, "GET", "/?token=nope", NULL, NULL, 401);
  }
  /* Nothing was activated by refused requests. */
  assert_false (cmdb_test_module_is_mapped ("libtrain-page.so"));
}

static void
test_token_becomes_cookie (void **state)
{
  g_autofree char *path = g_strdup_printf ("/train?token=%s", fixture.server->token);
  g_autoptr (TestResponse) response = test_http (fixture.server, "GET", path, NULL, NULL);
  const char *set_cookie = test_response_header (response, "set-cookie");
  g_autofree char *expected_name
      = g_strdup_printf ("cmdbuilder-token-%u=%s;", fixture.server->port, fixture.server->token);
  g_autoptr (TestResponse) page = NULL;

  assert_int_equal (response->status, 302);
  /* The token leaves the address bar. */
  assert_string_equal (test_response_header (response, "location"), "/train");
  assert_non_null (set_cookie);
  assert_true (g_str_has_prefix (set_cookie, expected_name));
  assert_non_null (strstr (set_cookie, "HttpOnly"));
  assert_non_null (strstr (set_cookie, "SameSite=Strict"));

  test_server_login (fixture.server);
  page = test_get (fixture.server, "/api/pages");
  assert_int_equal (page->status, 200);
}

/* Asserts that each <@element>...</@element> of @body has its sha256 in
 * @csp; returns how many there are. */
static guint
assert_inline_hashed (const char *body, const char *element, const char *csp)
{
  g_autofree char *open = g_strdup_printf ("<%s>", element);
  g_autofree char *close = g_strdup_printf ("</%s>", element);
  guint count = 0;

  for (const char *start = strstr (body, open); start != NULL; start = strstr (start, open))
    {
      g_autoptr (GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
      const char *end;
      guint8 digest[32];
      gsize length = sizeof digest;
      g_autofree char *hash = NULL;
      g_autofree char *source = NULL;

      start += strlen (open);
      end = strstr (start, close);
      assert_non_null (end);
      g_checksum_update (checksum, (const guchar *) start, end - start);
      g_checksum_get_digest (checksum, digest, &length);
      hash = g_base64_encode (digest, length);
      source = g_strdup_printf ("'sha256-%s'", hash);
      if (strstr (csp, source) == NULL)
        fail_msg ("inline %s not allowed by the CSP %s", element, csp);
      count++;
    }
  return count;
}

/* A browser opening the printed URL (Fetch Metadata: a document
 * navigation) gets the page at once, with the cookie, and no redirect: the
 * document's first script puts the page's own address in the address bar,
 * and the Content-Security-Policy allows exactly that script by its hash
 * (never 'unsafe-inline'). Without the header (scripts, curl) it stays a
 * redirect. */
static void
test_token_page_at_once (void **state)
{
  g_autofree char *root = g_strdup_printf ("/?token=%s", fixture.server->token);
  g_autofree char *test_page = g_strdup_printf ("/test?token=%s", fixture.server->token);
  const char *navigation[] = { "Sec-Fetch-Dest: document", NULL };
  g_autoptr (TestResponse) response = test_http (fixture.server, "GET", root, navigation, NULL);
  g_autoptr (TestResponse) other = NULL;
  g_autoptr (TestResponse) api = NULL;
  g_autoptr (TestResponse) wrong = NULL;
  const char *csp = test_response_header (response, "content-security-policy");

  assert_int_equal (response->status, 200);
  assert_non_null (test_response_header (response, "set-cookie"));
  assert_null (test_response_header (response, "location"));
  assert_string_equal (test_response_header (response, "referrer-policy"), "no-referrer");
  /* "/" is the first (or last shown) page, with that page's address. */
  assert_non_null (strstr (response->body, "<meta name=\"cmdb-address\" content=\"/train\">"));
  assert_non_null (strstr (response->body, "data-page=\"train\""));
  /* The token appears nowhere in the document. */
  assert_null (strstr (response->body, fixture.server->token));

  /* Every inline script and style is allowed by its hash, nothing else
   * inline is; the first one replaces the address; the stylesheet comes
   * inside this first document. */
  assert_non_null (csp);
  assert_null (strstr (csp, "unsafe-inline"));
  assert_int_equal (assert_inline_hashed (response->body, "script", csp), 2);
  assert_int_equal (assert_inline_hashed (response->body, "style", csp), 1);
  assert_non_null (strstr (strstr (response->body, "<script>"), "history.replaceState"));
  assert_true (strstr (strstr (response->body, "<script>"), "history.replaceState")
               < strstr (response->body, "<link"));
  assert_null (strstr (response->body, "rel=\"stylesheet\""));

  /* A page's own address keeps its own page. */
  other = test_http (fixture.server, "GET", test_page, navigation, NULL);
  assert_int_equal (other->status, 200);
  assert_non_null (strstr (other->body, "<meta name=\"cmdb-address\" content=\"/test\">"));
  /* Not a page, or not a navigation: the redirect, and no script. */
  api = test_http (fixture.server, "GET", test_page, NULL, NULL);
  assert_int_equal (api->status, 302);
  assert_string_equal (test_response_header (api, "location"), "/test");
  /* A wrong token is refused as before. */
  {
    const char *headers[] = { "Sec-Fetch-Dest: document", NULL };
    wrong = test_http (fixture.server, "GET", "/?token=nope", headers, NULL);
    assert_int_equal (wrong->status, 401);
  }
}

/* The token exchange redirects only to a page of this server: paths a
 * browser would read as another host ("//evil.com", "/\\evil.com") and
 * unknown paths go to "/". */
static void
test_redirect_stays_on_server (void **state)
{
  const char *const hostile[] = { "/%2F%2Fevil.com", "/\\evil.com", "//evil.com", "/%5Cevil.com",
                                  "/nowhere",        "/api/pages",  NULL };

  for (guint i = 0; hostile[i] != NULL; i++)
    {
      g_autofree char *path = g_strdup_printf ("%s?token=%s", hostile[i], fixture.server->token);
      g_autoptr (TestResponse) response = test_http (fixture.server, "GET", path, NULL, NULL);

      if (response->status != 302)
        {
          /* libsoup may refuse the path itself: that is as good. */
          assert_true (response->status >= 400 && response->status < 500);
          continue;
        }
      assert_string_equal (test_response_header (response, "location"), "/");
    }
}

static void
test_bearer_accepted (void **state)
{
  g_autofree char *bearer = g_strdup_printf ("Authorization: Bearer %s", fixture.server->token);
  const char *headers[] = { bearer, NULL };

  assert_status (fixture.server, "GET", "/api/pages", headers, NULL, 200);
}

static void
test_foreign_host_refused (void **state)
{
  g_autofree char *bearer = g_strdup_printf ("Authorization: Bearer %s", fixture.server->token);
  g_autofree char *path = g_strdup_printf ("/?token=%s", fixture.server->token);
  const char *evil[] = { bearer, "Host: evil.example:8501", NULL };
  const char *evil_token[] = { "Host: attacker.example", NULL };
  const char *localhost[] = { bearer, "Host: localhost:1", NULL };
  const char *v6[] = { bearer, "Host: [::1]:8501", NULL };
  g_autoptr (TestResponse) response = NULL;

  assert_status (fixture.server, "GET", "/api/pages", evil, NULL, 403);
  /* The token exchange itself is refused under a foreign name. */
  response = test_http (fixture.server, "GET", path, evil_token, NULL);
  assert_int_equal (response->status, 403);
  assert_null (test_response_header (response, "set-cookie"));
  assert_status (fixture.server, "GET", "/api/pages", localhost, NULL, 200);
  assert_status (fixture.server, "GET", "/api/pages", v6, NULL, 200);
}

static void
test_allow_host (void **state)
{
  const char *args[] = { "--allow-host", "box.lan", NULL };
  TestServer *other;
  g_autofree char *bearer = NULL;

  other = test_fixture_restart (args, FALSE);
  bearer = g_strdup_printf ("Authorization: Bearer %s", other->token);
  {
    const char *box[] = { bearer, "Host: box.lan:8080", NULL };
    const char *evil[] = { bearer, "Host: evil.lan", NULL };
    assert_status (other, "GET", "/api/pages", box, NULL, 200);
    assert_status (other, "GET", "/api/pages", evil, NULL, 403);
  }
}

static void
test_cross_origin_post_refused (void **state)
{
  g_autofree char *cookie = NULL;
  g_autofree char *own_origin = NULL;
  g_autofree char *bearer = g_strdup_printf ("Authorization: Bearer %s", fixture.server->token);
  const char *body = "{\"changes\": {\"exp_name\": \"from_post\"}}";

  test_server_login (fixture.server);
  cookie = g_strdup_printf ("Cookie: %s", fixture.server->cookie);
  own_origin = g_strdup_printf ("Origin: http://127.0.0.1:%u", fixture.server->port);
  {
    const char *foreign[] = { cookie, "Origin: http://evil.example", NULL };
    const char *null_origin[] = { cookie, "Origin: null", NULL };
    const char *other_port[] = { cookie, "Origin: http://127.0.0.1:1", NULL };
    const char *no_origin_cookie_only[] = { cookie, NULL };
    const char *same[] = { cookie, own_origin, NULL };
    const char *script[] = { bearer, NULL };
    const char *foreign_bearer[] = { bearer, "Origin: http://evil.example", NULL };

    assert_status (fixture.server, "POST", "/api/pages/train", foreign, body, 403);
    assert_status (fixture.server, "POST", "/api/pages/train", null_origin, body, 403);
    assert_status (fixture.server, "POST", "/api/pages/train", other_port, body, 403);
    assert_status (fixture.server, "POST", "/api/pages/train", no_origin_cookie_only, body, 403);
    assert_status (fixture.server, "POST", "/api/pages/train", foreign_bearer, body, 403);
    assert_status (fixture.server, "POST", "/train", foreign, "exp_name=from_form", 403);
    /* Nothing above changed the page's state. */
    {
      g_autofree char *state_file
          = g_build_filename (fixture.workspace, ".cmdbuilder", "ui", "pages", "train.json", NULL);
      assert_false (g_file_test (state_file, G_FILE_TEST_EXISTS));
    }
    assert_status (fixture.server, "POST", "/api/pages/train", same, body, 200);
    assert_status (fixture.server, "POST", "/api/pages/train", script, body, 200);
  }
}

static void
test_no_token_only_on_loopback (void **state)
{
  g_autofree char *exe = cmdb_test_cmdbuilder ();
  const char *argv[] = { exe, "serve",  "--workspace", fixture.workspace, "--port",
                         "0", "--bind", "0.0.0.0",     "--no-token",      NULL };
  g_autofree char *err = NULL;
  g_autofree char *out = NULL;
  int status = 0;

  out = cmdb_test_run (argv, fixture.workspace, &err, &status);
  assert_int_equal (status, 1);
  assert_string_equal (out, "");
  assert_non_null (strstr (err, "--no-token is allowed only on a loopback address"));
  assert_non_null (strstr (err, "not on 0.0.0.0"));
}

static void
test_no_token_on_loopback (void **state)
{
  const char *args[] = { "--no-token", NULL };

  test_fixture_restart (args, FALSE);
  assert_null (fixture.server->token);
  assert_status (fixture.server, "GET", "/api/pages", NULL, NULL, 200);
  {
    const char *evil[] = { "Host: evil.example", NULL };
    const char *foreign[] = { "Origin: http://evil.example", NULL };
    assert_status (fixture.server, "GET", "/api/pages", evil, NULL, 403);
    assert_status (fixture.server, "POST", "/api/pages/train", foreign, "{}", 403);
  }
}

static void
test_clean_shutdown (void **state)
{
  assert_int_equal (test_server_stop (fixture.server), 0);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_token_format),
    cmocka_unit_test (test_host_rules),
    cmocka_unit_test (test_origin_rules),
    cmocka_unit_test (test_loopback_and_cookies),
    cmocka_unit_test_setup_teardown (test_start_url, test_fixture_setup_server,
                                     test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_without_token_refused, test_fixture_setup_server,
                                     test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_token_becomes_cookie, test_fixture_setup_server,
                                     test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_token_page_at_once, test_fixture_setup_server,
                                     test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_redirect_stays_on_server, test_fixture_setup_server,
                                     test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_bearer_accepted, test_fixture_setup_server,
                                     test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_foreign_host_refused, test_fixture_setup_server,
                                     test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_allow_host, test_fixture_setup_server,
                                     test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_cross_origin_post_refused, test_fixture_setup_server,
                                     test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_no_token_only_on_loopback, test_fixture_setup,
                                     test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_no_token_on_loopback, test_fixture_setup,
                                     test_fixture_teardown),
    cmocka_unit_test_setup_teardown (test_clean_shutdown, test_fixture_setup_server,
                                     test_fixture_teardown),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
