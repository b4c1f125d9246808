/* cmdb-private-export.h: what the library exports beyond its installed
 * headers (not installed).
 *
 * libcmdbuilder-1 is built with hidden visibility: plugins see only what the
 * installed headers declare (CMDB_AVAILABLE_IN_ALL). The cmdbuilder
 * executable (the CLI, the server) and the white-box tests also need some of
 * the library's internals; each of those is declared in a *-private.h header
 * as
 *
 *   #define cmdb_host_new _cmdb_host_new
 *   CMDB_PRIVATE_EXPORT
 *   CmdbHost *cmdb_host_new (CmdbConfig *config);
 *
 * so the code keeps its names while the exported symbol carries the _cmdb_
 * prefix, which says "not an API" to anyone reading the library's symbol
 * table (tests/base/check-exports.py checks both rules). */
#pragma once

#define CMDB_PRIVATE_EXPORT __attribute__ ((visibility ("default"))) extern
