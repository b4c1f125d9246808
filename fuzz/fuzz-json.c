#define G_LOG_DOMAIN "cmdb-fuzz"

/* libFuzzer harness: the bounded JSON reader every request body, page
 * state and run record goes through, and the request reader on top. */

#include "cmdb-server-private.h"
#include "base/cmdb-json-private.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autofree char *text = g_strndup ((const char *) data, size);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) node = cmdb_json_parse ((const char *) data, (gssize) size, &error);
  g_autoptr (JsonObject) object = NULL;

  if ((node == NULL) == (error == NULL))
    g_error ("the reader returned %s with %s", node != NULL ? "a node" : "nothing",
             error != NULL ? "an error" : "no error");
  g_clear_error (&error);
  object = cmdb_server_parse_json_object (text, &error);
  if ((object == NULL) == (error == NULL))
    g_error ("the request reader returned %s with %s", object != NULL ? "an object" : "nothing",
             error != NULL ? "an error" : "no error");
  return 0;
}
