// Package apitype holds the JSON request and response bodies of the local admin API
// (/api/v0), shared by its server (admin/api) and its client, so the two cannot drift.
//
// Compatibility: fields are only added within v0; removing or renaming one needs /api/v1.
package apitype
