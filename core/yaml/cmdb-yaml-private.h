/* cmdb-yaml-private.h: what the library's other parts (the cache's parse
 * index) and the white-box tests use of core/yaml beyond cmdb-yaml.h (not
 * installed). */
#pragma once

#include "cmdbuilder.h"
#include "base/cmdb-private-export.h"

G_BEGIN_DECLS

/* Like cmdb_yaml_document_load(), and also hands back (transfer full) the
 * text that was parsed, so a caller can fingerprint exactly what the tree
 * was made from. @ret_text is set only on success. */
#define cmdb_yaml_document_load_with_text _cmdb_yaml_document_load_with_text
CMDB_PRIVATE_EXPORT
CmdbYamlDocument *cmdb_yaml_document_load_with_text (const char *path, GBytes **ret_text,
                                                     GError **error);

/* The binary form of a parsed document (cmdb-yaml-binary.c): every node
 * with its kind, style, type, value, line and column; nodes an alias shares
 * are written once. Appends it to @out. The form is this build's and this
 * machine's (byte order, no version of its own): the parse index that
 * stores it carries the version. */
#define cmdb_yaml_document_write_binary _cmdb_yaml_document_write_binary
CMDB_PRIVATE_EXPORT
void cmdb_yaml_document_write_binary (CmdbYamlDocument *document, GByteArray *out);

/* Rebuilds a document from @length bytes at @data made by
 * cmdb_yaml_document_write_binary(); its nodes report @path. Returns
 * (transfer full) the document, or NULL when the bytes are not a complete,
 * consistent binary form (every offset and index is checked: damaged bytes
 * give NULL, never a crash). */
#define cmdb_yaml_document_read_binary _cmdb_yaml_document_read_binary
CMDB_PRIVATE_EXPORT
CmdbYamlDocument *cmdb_yaml_document_read_binary (const char *path, const guint8 *data,
                                                  gsize length);

G_END_DECLS
