# Shared build settings: warnings, sanitizers, and imgauto_add_library().

set(IMGAUTO_WARNINGS -Wall -Wextra -Wpedantic)
if(IMGAUTO_WERROR)
  list(APPEND IMGAUTO_WARNINGS -Werror)
endif()

if(IMGAUTO_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined -fno-sanitize-recover=all)
endif()

if(IMGAUTO_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "IMGAUTO_FUZZ needs clang (configure with the fuzz preset)")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()

# imgauto_add_library(<name> SOURCES ... [PUBLIC ...] [PRIVATE ...])
# Creates imgauto_<name> with the alias imgauto::<name>.
function(imgauto_add_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;PUBLIC;PRIVATE" ${ARGN})
  add_library(imgauto_${name} STATIC ${ARG_SOURCES})
  add_library(imgauto::${name} ALIAS imgauto_${name})
  target_compile_options(imgauto_${name} PRIVATE ${IMGAUTO_WARNINGS})
  target_link_libraries(imgauto_${name} PUBLIC ${ARG_PUBLIC} PRIVATE ${ARG_PRIVATE})
endfunction()

# Boost 1.74's Asio detects C++20 coroutines only for GCC; clang 14 supports them with
# libstdc++'s <coroutine> as well.
if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  add_compile_definitions(BOOST_ASIO_HAS_CO_AWAIT=1 BOOST_ASIO_HAS_STD_COROUTINE=1)
endif()
