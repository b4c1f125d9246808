#define G_LOG_DOMAIN "cmdb-fuzz"

/* libFuzzer harness: the YAML layer (libyaml events -> located tree). */

#include "cmdbuilder.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CmdbYamlDocument) document
      = cmdb_yaml_document_parse ("fuzz.yaml", (const char *) data, (gssize) size, &error);

  /* Exactly one of the two. */
  if ((document == NULL) == (error == NULL))
    g_error ("parse returned %s with %s", document != NULL ? "a document" : "nothing",
             error != NULL ? "an error" : "no error");
  return 0;
}
