# The sandbox's probe (tests/unit/sandbox_probe.c): a stand-in parser for
# test_sandbox. Without sanitizers, since it runs under the sandbox's
# RLIMIT_AS and may link only /usr libraries (the build tree is not visible
# inside). Included by tests/CMakeLists.txt after the unit test loop.
add_executable(sandbox_probe ${CMAKE_CURRENT_LIST_DIR}/sandbox_probe.c)
set_target_properties(sandbox_probe PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
target_compile_options(sandbox_probe PRIVATE -fno-sanitize=all)
target_link_options(sandbox_probe PRIVATE -fno-sanitize=all)
target_link_libraries(sandbox_probe PRIVATE pthread)
if(TARGET test_sandbox)
  target_compile_definitions(test_sandbox PRIVATE CV_SANDBOX_PROBE="$<TARGET_FILE:sandbox_probe>")
  add_dependencies(test_sandbox sandbox_probe)
endif()
