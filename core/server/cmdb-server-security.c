#define G_LOG_DOMAIN "cmdb-server"

#include "cmdb-server-private.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

/* The first argument is stringified into the quark name: no formatter may space its dashes. */
/* clang-format off */
G_DEFINE_QUARK (cmdb-server-error-quark, cmdb_server_error)
/* clang-format on */

char *
cmdb_server_token_new (void)
{
  guint8 bytes[32];
  gsize filled = 0;
  g_autofree char *encoded = NULL;
  GString *token;

  /* getrandom() blocks only until the kernel's pool is initialised once. */
  while (filled < sizeof bytes)
    {
      ssize_t got = getrandom (bytes + filled, sizeof bytes - filled, 0);
      if (got < 0)
        {
          if (errno == EINTR)
            continue;
          g_error ("no random source for the server token: %s", g_strerror (errno));
        }
      filled += (gsize) got;
    }

  encoded = g_base64_encode (bytes, sizeof bytes);
  token = g_string_sized_new (44);
  for (const char *c = encoded; *c != '\0'; c++)
    {
      if (*c == '+')
        g_string_append_c (token, '-');
      else if (*c == '/')
        g_string_append_c (token, '_');
      else if (*c != '=')
        g_string_append_c (token, *c);
    }
  memset (bytes, 0, sizeof bytes);
  return g_string_free (token, FALSE);
}

gboolean
cmdb_server_token_equal (const char *expected, const char *given)
{
  gsize expected_length;
  gsize given_length;
  guint8 difference = 0;

  if (expected == NULL || given == NULL)
    return FALSE;
  expected_length = strlen (expected);
  given_length = strlen (given);
  /* Always walk the expected token's length so the time does not tell how
   * many leading characters matched. */
  for (gsize i = 0; i < expected_length; i++)
    difference |= (guint8) expected[i] ^ (guint8) (i < given_length ? given[i] : 0);
  return difference == 0 && expected_length == given_length && expected_length > 0;
}

/* Splits "name:port" / "[v6]:port" into the host part (brackets kept). */
static char *
host_without_port (const char *host_header)
{
  const char *colon;

  if (host_header[0] == '[')
    {
      const char *close = strchr (host_header, ']');
      if (close == NULL)
        return NULL;
      if (close[1] != '\0' && close[1] != ':')
        return NULL;
      return g_ascii_strdown (host_header, close + 1 - host_header);
    }
  colon = strrchr (host_header, ':');
  if (colon == NULL)
    return g_ascii_strdown (host_header, -1);
  /* A second colon without brackets is not a valid Host. */
  if (memchr (host_header, ':', colon - host_header) != NULL)
    return NULL;
  for (const char *c = colon + 1; *c != '\0'; c++)
    if (!g_ascii_isdigit (*c))
      return NULL;
  return g_ascii_strdown (host_header, colon - host_header);
}

gboolean
cmdb_server_host_is_allowed (const char *host_header, GPtrArray *allowed_hosts)
{
  static const char *const loopback[] = { "localhost", "127.0.0.1", "[::1]" };
  g_autofree char *name = NULL;

  if (host_header == NULL || host_header[0] == '\0')
    return FALSE;
  for (const char *c = host_header; *c != '\0'; c++)
    if (g_ascii_isspace (*c) || g_ascii_iscntrl (*c) || *c == '/' || *c == '@')
      return FALSE;
  name = host_without_port (host_header);
  if (name == NULL || name[0] == '\0')
    return FALSE;
  for (gsize i = 0; i < G_N_ELEMENTS (loopback); i++)
    if (g_str_equal (name, loopback[i]))
      return TRUE;
  for (guint i = 0; allowed_hosts != NULL && i < allowed_hosts->len; i++)
    {
      const char *allowed = g_ptr_array_index (allowed_hosts, i);
      g_autofree char *allowed_name = host_without_port (allowed);

      if (g_ascii_strcasecmp (allowed, host_header) == 0)
        return TRUE;
      /* An entry without a port accepts any port. */
      if (allowed_name != NULL && g_ascii_strcasecmp (allowed_name, allowed) == 0
          && g_str_equal (allowed_name, name))
        return TRUE;
    }
  return FALSE;
}

gboolean
cmdb_server_origin_matches (const char *origin, const char *host_header)
{
  if (origin == NULL || host_header == NULL || host_header[0] == '\0')
    return FALSE;
  if (g_ascii_strncasecmp (origin, "http://", 7) != 0)
    return FALSE;
  return g_ascii_strcasecmp (origin + 7, host_header) == 0;
}

gboolean
cmdb_server_bind_is_loopback (const char *address)
{
  g_autoptr (GInetAddress) inet = NULL;

  if (address == NULL)
    return FALSE;
  if (g_ascii_strcasecmp (address, "localhost") == 0)
    return TRUE;
  inet = g_inet_address_new_from_string (address);
  return inet != NULL && g_inet_address_get_is_loopback (inet);
}

char *
cmdb_server_cookie_lookup (const char *cookie_header, const char *name)
{
  g_auto (GStrv) pairs = NULL;
  gsize name_length;

  if (cookie_header == NULL || name == NULL)
    return NULL;
  name_length = strlen (name);
  pairs = g_strsplit (cookie_header, ";", -1);
  for (guint i = 0; pairs[i] != NULL; i++)
    {
      const char *pair = pairs[i];

      while (*pair == ' ' || *pair == '\t')
        pair++;
      if (strncmp (pair, name, name_length) == 0 && pair[name_length] == '=')
        return g_strstrip (g_strdup (pair + name_length + 1));
    }
  return NULL;
}
