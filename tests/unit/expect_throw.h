#pragma once
// EXPECT_THROW_MSG: an assertion on the type and message of an exception (torch-free).
#include <gtest/gtest.h>

#include <string>

/// Expects `statement` to throw `type` whose what() contains `substring`.
#define EXPECT_THROW_MSG(statement, type, substring)                                   \
  do {                                                                                 \
    try {                                                                              \
      statement;                                                                       \
      ADD_FAILURE() << "expected " #type " containing \"" << (substring) << "\"";     \
    } catch (const type& thrown_) {                                                    \
      EXPECT_NE(std::string(thrown_.what()).find(substring), std::string::npos)        \
          << "message: " << thrown_.what();                                            \
    }                                                                                  \
  } while (0)
