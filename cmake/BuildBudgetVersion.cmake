# The one place the BuildBudget version is set. Included by the top-level
# CMakeLists.txt and by tools/buildbudget when it is built on its own (the
# configure-time bootstrap of a source-tree consumer).
set(BUILDBUDGET_VERSION 0.1.0)
