/* cmdb-parse-index-private.h: parsed YAML documents kept on disk between
 * processes (not installed; docs/cache.md, "The parse index").
 *
 * A fresh process (a CLI command, a server's first page) would otherwise
 * parse every workspace config file it reads again; the scale workspace's
 * 100 architectures alone are 200 files. The index keeps, per directory of
 * YAML files, each file's parsed tree in binary form (every node's line and
 * column included) under the file's identity: device, inode, mode, size,
 * modification and change time to the nanosecond. A file whose identity
 * differs is parsed again, and only that file; a file changed within the
 * same timestamp tick as it was read is also compared by content
 * ("racy" entries, as git does for its index).
 *
 * The index is a cache, never a source of truth: a missing, damaged,
 * foreign or older index file is ignored (and rebuilt); writing it is
 * atomic (temporary file, rename) so two processes writing at once leave
 * one complete file; a workspace where it cannot be written is simply
 * parsed every time. Files that fail to parse are not indexed: their error
 * comes from a parse, as before. */
#pragma once

#include "base/cmdb-private-export.h"

#include "cmdbuilder.h"
#include "cache/cmdb-cache-watch-private.h"

G_BEGIN_DECLS

typedef struct _CmdbParseIndex CmdbParseIndex;

/* An index for the YAML files directly inside @scope_dir or any directory
 * below it, stored in the subdirectory "parse-index" of @state_dir (made,
 * with the state directory, on the first write). (transfer full) */
#define cmdb_parse_index_new _cmdb_parse_index_new
CMDB_PRIVATE_EXPORT
CmdbParseIndex *cmdb_parse_index_new (const char *state_dir, const char *scope_dir);
#define cmdb_parse_index_free _cmdb_parse_index_free
CMDB_PRIVATE_EXPORT
void cmdb_parse_index_free (CmdbParseIndex *index);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CmdbParseIndex, cmdb_parse_index_free)

/* Whether @path is one of the files this index keeps. */
#define cmdb_parse_index_covers _cmdb_parse_index_covers
CMDB_PRIVATE_EXPORT
gboolean cmdb_parse_index_covers (CmdbParseIndex *index, const char *path);

/* The document of @path as indexed for @identity (what the cache's stat()
 * said), or NULL (not indexed, or indexed for another identity or
 * content). (transfer full) */
#define cmdb_parse_index_lookup _cmdb_parse_index_lookup
CMDB_PRIVATE_EXPORT
CmdbYamlDocument *cmdb_parse_index_lookup (CmdbParseIndex *index, const char *path,
                                           const CmdbCacheIdentity *identity);

/* Records @document, parsed from @text, as the tree of @path at @identity
 * (what stat() gave before the file was read). Kept in memory
 * until cmdb_parse_index_flush(). */
#define cmdb_parse_index_store _cmdb_parse_index_store
CMDB_PRIVATE_EXPORT
void cmdb_parse_index_store (CmdbParseIndex *index, const char *path,
                             const CmdbCacheIdentity *identity, GBytes *text,
                             CmdbYamlDocument *document);

/* Writes every directory's index that changed since it was read. Entries
 * this process neither used nor stored are checked against their file
 * first, so files removed or changed meanwhile leave the index. Returns
 * how many index files were written. */
#define cmdb_parse_index_flush _cmdb_parse_index_flush
CMDB_PRIVATE_EXPORT
guint cmdb_parse_index_flush (CmdbParseIndex *index);

/* Where the index of the YAML files of @dir is kept. (transfer full) */
#define cmdb_parse_index_dup_file_for_dir _cmdb_parse_index_dup_file_for_dir
CMDB_PRIVATE_EXPORT
char *cmdb_parse_index_dup_file_for_dir (CmdbParseIndex *index, const char *dir);

/* Makes @cache read the YAML files under @scope_dir through a parse index
 * kept in @state_dir (cmdb_context_new() does this for the workspace's
 * configs). Setting the same scope again is a no-op. Dirty indexes are
 * written when the outermost lookup that parsed something returns. */
#define cmdb_cache_use_parse_index _cmdb_cache_use_parse_index
CMDB_PRIVATE_EXPORT
void cmdb_cache_use_parse_index (CmdbCache *cache, const char *state_dir, const char *scope_dir);

G_END_DECLS
