#include "automation/template/parser.h"

#include <charconv>
#include <cmath>
#include <cstdlib>

#include "automation/template/format.h"
#include "automation/template/lexer.h"
#include "core/strings.h"

namespace imgauto::gotemplate {
namespace {

// Parenthesised pipelines and control structures may nest this deep; the executor's recursion
// is bounded by it (Go allows more, but no commit template comes close).
constexpr int kMaxParseDepth = 100;

// strconv.UnquoteChar: decodes one (possibly escaped) character at s[*i], appending it.
bool UnquoteChar(std::string_view s, size_t* i, char quote, std::string* out, int32_t* rune) {
  if (*i >= s.size()) {
    return false;
  }
  char c = s[*i];
  if (c == quote && (quote == '\'' || quote == '"')) {
    return false;
  }
  if (c != '\\') {
    size_t width = 0;
    *rune = DecodeRune(s, *i, &width);
    out->append(s.substr(*i, width));
    *i += width;
    return true;
  }
  if (*i + 1 >= s.size()) {
    return false;
  }
  char e = s[*i + 1];
  *i += 2;
  int32_t value = 0;
  switch (e) {
    case 'a':
      value = '\a';
      break;
    case 'b':
      value = '\b';
      break;
    case 'f':
      value = '\f';
      break;
    case 'n':
      value = '\n';
      break;
    case 'r':
      value = '\r';
      break;
    case 't':
      value = '\t';
      break;
    case 'v':
      value = '\v';
      break;
    case '\\':
      value = '\\';
      break;
    case '\'':
    case '"':
      if (e != quote) {
        return false;
      }
      value = e;
      break;
    case 'x':
    case 'u':
    case 'U': {
      size_t n = e == 'x' ? 2 : (e == 'u' ? 4 : 8);
      if (*i + n > s.size()) {
        return false;
      }
      for (size_t k = 0; k < n; ++k) {
        int h = HexDigitValue(s[*i + k]);
        if (h < 0) {
          return false;
        }
        value = value * 16 + h;
      }
      *i += n;
      if (e == 'x') {
        out->push_back(static_cast<char>(value));
        *rune = value;
        return true;
      }
      if (value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) {
        return false;
      }
      break;
    }
    case '0':
    case '1':
    case '2':
    case '3':
    case '4':
    case '5':
    case '6':
    case '7': {
      value = e - '0';
      if (*i + 2 > s.size()) {
        return false;
      }
      for (size_t k = 0; k < 2; ++k) {
        char d = s[*i + k];
        if (d < '0' || d > '7') {
          return false;
        }
        value = value * 8 + (d - '0');
      }
      *i += 2;
      if (value > 255) {
        return false;
      }
      out->push_back(static_cast<char>(value));
      *rune = value;
      return true;
    }
    default:
      return false;
  }
  AppendRune(out, value);
  *rune = value;
  return true;
}

// Go's underscoreOK: underscores only between digits (or after a base prefix).
bool UnderscoreOk(std::string_view s) {
  char saw = '^';
  size_t i = 0;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    ++i;
  }
  bool hex = false;
  if (s.size() - i >= 2 && s[i] == '0') {
    char p = static_cast<char>(s[i + 1] | 0x20);
    if (p == 'x' || p == 'o' || p == 'b') {
      hex = p == 'x';
      i += 2;
      saw = '0';
    }
  }
  for (; i < s.size(); ++i) {
    char c = s[i];
    char lower = static_cast<char>(c | 0x20);
    if ((c >= '0' && c <= '9') || (hex && lower >= 'a' && lower <= 'f')) {
      saw = '0';
      continue;
    }
    if (c == '_') {
      if (saw != '0') {
        return false;
      }
      saw = '_';
      continue;
    }
    if (saw == '_') {
      return false;
    }
    saw = '!';
  }
  return saw != '_';
}

std::string WithoutUnderscores(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c != '_') {
      out.push_back(c);
    }
  }
  return out;
}

// strconv.ParseUint(s, 0, 64) on the magnitude; `negative` reports a leading '-'.
bool ParseGoUint(std::string_view text, bool* negative, uint64_t* out) {
  *negative = false;
  std::string_view s = text;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    *negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty() || (s.find('_') != std::string_view::npos && !UnderscoreOk(s))) {
    return false;
  }
  int base = 10;
  if (s.size() >= 2 && s[0] == '0') {
    char p = static_cast<char>(s[1] | 0x20);
    if (p == 'x' || p == 'o' || p == 'b') {
      base = p == 'x' ? 16 : (p == 'o' ? 8 : 2);
      s.remove_prefix(2);
    } else {
      base = 8;
      s.remove_prefix(1);
    }
  }
  std::string digits = WithoutUnderscores(s);
  if (digits.empty()) {
    return base == 8;  // "0" itself
  }
  auto res = std::from_chars(digits.data(), digits.data() + digits.size(), *out, base);
  return res.ec == std::errc() && res.ptr == digits.data() + digits.size();
}

// strconv.ParseFloat(s, 64) for Go literal syntax (decimal and hex floats, underscores).
bool ParseGoFloat(std::string_view text, double* out) {
  std::string_view s = text;
  bool negative = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty() || (s.find('_') != std::string_view::npos && !UnderscoreOk(s))) {
    return false;
  }
  std::string digits = WithoutUnderscores(s);
  bool hex = digits.size() >= 2 && digits[0] == '0' && (digits[1] | 0x20) == 'x';
  std::string_view body = hex ? std::string_view(digits).substr(2) : std::string_view(digits);
  if (hex && body.find_first_of("pP") == std::string_view::npos) {
    return false;
  }
  double value = 0;
  auto res = std::from_chars(body.data(), body.data() + body.size(), value,
                             hex ? std::chars_format::hex : std::chars_format::general);
  if (res.ptr != body.data() + body.size() || body.empty()) {
    return false;
  }
  if (res.ec == std::errc::result_out_of_range && std::isinf(value)) {
    return false;
  }
  *out = negative ? -value : value;
  return true;
}

class Parser {
 public:
  Parser(std::string_view name, std::string_view text,
         const std::function<bool(std::string_view)>& has_function, TreeSet* trees)
      : name_(name), text_(text), has_function_(has_function), trees_(trees) {
    items_ = Lex(text, !has_function("break"), !has_function("continue"));
  }

  Result<void> Run();

 private:
  using NodePtr = std::unique_ptr<Node>;

  const Item& Next() {
    const Item& item = items_[index_];
    if (index_ + 1 < items_.size()) {
      ++index_;
    } else {
      at_end_ = true;
    }
    last_ = std::max(last_, index_);
    return item;
  }
  void Backup() {
    if (at_end_) {
      at_end_ = false;
    } else if (index_ > 0) {
      --index_;
    }
  }
  const Item& Peek() { return items_[index_]; }
  const Item& NextNonSpace() {
    while (Peek().type == ItemType::kSpace) {
      Next();
    }
    return Next();
  }
  const Item& PeekNonSpace() {
    while (Peek().type == ItemType::kSpace) {
      Next();
    }
    return Peek();
  }

  void Errorf(const std::string& message) {
    if (!failed_) {
      failed_ = true;
      int line = items_[std::min(last_, items_.size() - 1)].line;
      error_ = "template: " + name_ + ":" + std::to_string(line) + ": " + message;
    }
  }
  void Unexpected(const Item& item, const std::string& context) {
    if (item.type == ItemType::kError) {
      std::string extra;
      if (action_line_ != 0 && action_line_ != item.line) {
        extra = " in action started at " + name_ + ":" + std::to_string(action_line_);
        if (item.val.size() >= 7 && item.val.substr(item.val.size() - 7) == " action") {
          extra = extra.substr(std::string_view(" in action").size());
        }
      }
      Errorf(item.val + extra);
      return;
    }
    Errorf("unexpected " + ItemString(item) + " in " + context);
  }
  const Item& Expect(ItemType type, const std::string& context) {
    const Item& item = NextNonSpace();
    if (item.type != type) {
      Unexpected(item, context);
    }
    return item;
  }

  NodePtr MakeNode(NodeType type, size_t pos, int line = 0) {
    auto node = std::make_unique<Node>();
    node->type = type;
    node->pos = pos;
    node->line = line;
    return node;
  }

  void ParseTree(const std::string& tree_name, bool top_level);
  void AddTree(const std::string& tree_name, NodePtr root);
  void ParseDefinition();
  NodePtr ItemList(NodePtr* end);
  NodePtr TextOrAction();
  NodePtr Action();
  NodePtr Pipeline(const std::string& context, ItemType end);
  void CheckPipeline(const Node& pipe, const std::string& context);
  NodePtr Command();
  NodePtr Operand();
  NodePtr Term();
  NodePtr NewNumber(const Item& item);
  NodePtr UseVar(size_t pos, const std::string& name);
  NodePtr ParseControl(NodeType type, const std::string& context);
  NodePtr BranchEnd(NodeType type, const std::string& context);
  NodePtr TemplateControl();
  NodePtr BlockControl();
  std::string ParseTemplateName(const Item& token, const std::string& context);

  std::string name_;
  std::string_view text_;
  const std::function<bool(std::string_view)>& has_function_;
  TreeSet* trees_;
  std::vector<Item> items_;
  size_t index_ = 0;
  size_t last_ = 0;
  bool at_end_ = false;
  bool failed_ = false;
  std::string error_;
  std::vector<std::string> vars_ = {"$"};
  int range_depth_ = 0;
  int depth_ = 0;
  int action_line_ = 0;
};

Result<void> Parser::Run() {
  ParseTree(name_, true);
  if (failed_) {
    return Error(ErrorKind::kInvalidSpec, error_);
  }
  return {};
}

bool IsEmptyTree(const Node* node) {
  if (node == nullptr) {
    return true;
  }
  switch (node->type) {
    case NodeType::kList:
      for (const auto& child : node->nodes) {
        if (!IsEmptyTree(child.get())) {
          return false;
        }
      }
      return true;
    case NodeType::kText:
      return node->text.find_first_not_of(" \t\r\n") == std::string::npos;
    case NodeType::kComment:
      return true;
    default:
      return false;
  }
}

void Parser::AddTree(const std::string& tree_name, NodePtr root) {
  auto it = trees_->find(tree_name);
  if (it != trees_->end() && !IsEmptyTree(it->second->root.get())) {
    if (!IsEmptyTree(root.get())) {
      Errorf("template: multiple definition of template " + QuoteString(tree_name));
    }
    return;
  }
  auto tree = std::make_shared<Tree>();
  tree->name = tree_name;
  tree->parse_name = name_;
  tree->root = std::move(root);
  (*trees_)[tree_name] = std::move(tree);
}

void Parser::ParseTree(const std::string& tree_name, bool top_level) {
  NodePtr root = MakeNode(NodeType::kList, Peek().pos);
  while (!failed_ && Peek().type != ItemType::kEof) {
    if (top_level && Peek().type == ItemType::kLeftDelim) {
      size_t mark = index_;
      Next();
      if (NextNonSpace().type == ItemType::kDefine) {
        ParseDefinition();
        continue;
      }
      index_ = mark;
      at_end_ = false;
    }
    NodePtr n = TextOrAction();
    if (failed_) {
      return;
    }
    if (n->type == NodeType::kEnd || n->type == NodeType::kElse) {
      Errorf("unexpected " + NodeString(*n));
      return;
    }
    root->nodes.push_back(std::move(n));
  }
  if (Peek().type == ItemType::kEof && !failed_) {
    AddTree(tree_name, std::move(root));
  }
}

void Parser::ParseDefinition() {
  const std::string context = "define clause";
  const Item& name = NextNonSpace();
  if (name.type != ItemType::kString && name.type != ItemType::kRawString) {
    Unexpected(name, context);
    return;
  }
  std::optional<std::string> tree_name = Unquote(name.val);
  if (!tree_name) {
    Errorf("invalid syntax");
    return;
  }
  Expect(ItemType::kRightDelim, context);
  if (failed_) {
    return;
  }
  std::vector<std::string> saved_vars = std::move(vars_);
  vars_ = {"$"};
  NodePtr end;
  NodePtr list = ItemList(&end);
  vars_ = std::move(saved_vars);
  if (failed_) {
    return;
  }
  if (end->type != NodeType::kEnd) {
    Errorf("unexpected " + NodeString(*end) + " in " + context);
    return;
  }
  AddTree(*tree_name, std::move(list));
}

Parser::NodePtr Parser::ItemList(NodePtr* end) {
  NodePtr list = MakeNode(NodeType::kList, PeekNonSpace().pos);
  while (!failed_ && PeekNonSpace().type != ItemType::kEof) {
    NodePtr n = TextOrAction();
    if (failed_) {
      return list;
    }
    if (n->type == NodeType::kEnd || n->type == NodeType::kElse) {
      *end = std::move(n);
      return list;
    }
    list->nodes.push_back(std::move(n));
  }
  Errorf("unexpected EOF");
  return list;
}

Parser::NodePtr Parser::TextOrAction() {
  const Item& token = NextNonSpace();
  switch (token.type) {
    case ItemType::kText: {
      NodePtr n = MakeNode(NodeType::kText, token.pos, token.line);
      n->text = token.val;
      return n;
    }
    case ItemType::kLeftDelim: {
      int saved = action_line_;
      action_line_ = token.line;
      NodePtr n = Action();
      action_line_ = saved;
      return n;
    }
    default:
      Unexpected(token, "input");
      return MakeNode(NodeType::kText, token.pos);
  }
}

Parser::NodePtr Parser::Action() {
  const Item& token = NextNonSpace();
  switch (token.type) {
    case ItemType::kBlock:
      return BlockControl();
    case ItemType::kBreak:
    case ItemType::kContinue: {
      bool is_break = token.type == ItemType::kBreak;
      NodePtr n =
          MakeNode(is_break ? NodeType::kBreak : NodeType::kContinue, token.pos, token.line);
      std::string name = is_break ? "{{break}}" : "{{continue}}";
      const Item& close = NextNonSpace();
      if (close.type != ItemType::kRightDelim) {
        Unexpected(close, name);
      } else if (range_depth_ == 0) {
        Errorf(name + " outside {{range}}");
      }
      return n;
    }
    case ItemType::kElse: {
      const Item& peek = PeekNonSpace();
      if (peek.type == ItemType::kIf || peek.type == ItemType::kWith) {
        return MakeNode(NodeType::kElse, peek.pos, peek.line);
      }
      const Item& close = Expect(ItemType::kRightDelim, "else");
      return MakeNode(NodeType::kElse, close.pos, close.line);
    }
    case ItemType::kEnd: {
      const Item& close = Expect(ItemType::kRightDelim, "end");
      return MakeNode(NodeType::kEnd, close.pos, close.line);
    }
    case ItemType::kIf:
      return ParseControl(NodeType::kIf, "if");
    case ItemType::kRange:
      return ParseControl(NodeType::kRange, "range");
    case ItemType::kTemplate:
      return TemplateControl();
    case ItemType::kWith:
      return ParseControl(NodeType::kWith, "with");
    default:
      break;
  }
  Backup();
  const Item& peek = Peek();
  NodePtr n = MakeNode(NodeType::kAction, peek.pos, peek.line);
  n->pipe = Pipeline("command", ItemType::kRightDelim);
  return n;
}

Parser::NodePtr Parser::Pipeline(const std::string& context, ItemType end) {
  const Item& first = PeekNonSpace();
  NodePtr pipe = MakeNode(NodeType::kPipe, first.pos, first.line);
  if (++depth_ > kMaxParseDepth) {
    Errorf("max expression depth exceeded");
    return pipe;
  }
  // Declarations: `$x :=`, `$x =`, and in range `$i, $v :=`.
  while (!failed_ && PeekNonSpace().type == ItemType::kVariable) {
    size_t var_index = index_;
    const Item& v = Next();
    const Item& after_variable = Peek();
    const Item& next = PeekNonSpace();
    if (next.type == ItemType::kAssign || next.type == ItemType::kDeclare) {
      pipe->is_assign = next.type == ItemType::kAssign;
      NextNonSpace();
      NodePtr var = MakeNode(NodeType::kVariable, v.pos, v.line);
      var->idents = Split(v.val, ".");
      pipe->decls.push_back(std::move(var));
      vars_.push_back(v.val);
      break;
    }
    if (next.type == ItemType::kChar && next.val == ",") {
      NextNonSpace();
      NodePtr var = MakeNode(NodeType::kVariable, v.pos, v.line);
      var->idents = {v.val};
      pipe->decls.push_back(std::move(var));
      vars_.push_back(v.val);
      if (context == "range" && pipe->decls.size() < 2) {
        ItemType t = PeekNonSpace().type;
        if (t == ItemType::kVariable || t == ItemType::kRightDelim || t == ItemType::kRightParen) {
          continue;  // the second variable of a range pipeline
        }
        Errorf("range can only initialize variables");
        break;
      }
      Errorf("too many declarations in " + context);
      break;
    }
    (void)after_variable;
    index_ = var_index;  // not a declaration: the variable starts a command
    at_end_ = false;
    break;
  }
  while (!failed_) {
    const Item& token = NextNonSpace();
    if (token.type == end) {
      CheckPipeline(*pipe, context);
      --depth_;
      return pipe;
    }
    switch (token.type) {
      case ItemType::kBool:
      case ItemType::kCharConstant:
      case ItemType::kComplex:
      case ItemType::kDot:
      case ItemType::kField:
      case ItemType::kIdentifier:
      case ItemType::kNumber:
      case ItemType::kNil:
      case ItemType::kRawString:
      case ItemType::kString:
      case ItemType::kVariable:
      case ItemType::kLeftParen:
        Backup();
        pipe->nodes.push_back(Command());
        break;
      default:
        Unexpected(token, context);
        break;
    }
  }
  --depth_;
  return pipe;
}

void Parser::CheckPipeline(const Node& pipe, const std::string& context) {
  if (pipe.nodes.empty()) {
    Errorf("missing value for " + context);
    return;
  }
  for (size_t i = 1; i < pipe.nodes.size(); ++i) {
    switch (pipe.nodes[i]->nodes[0]->type) {
      case NodeType::kBool:
      case NodeType::kDot:
      case NodeType::kNil:
      case NodeType::kNumber:
      case NodeType::kString:
        Errorf("non executable command in pipeline stage " + std::to_string(i + 1));
        return;
      default:
        break;
    }
  }
}

Parser::NodePtr Parser::Command() {
  NodePtr cmd = MakeNode(NodeType::kCommand, PeekNonSpace().pos);
  while (!failed_) {
    PeekNonSpace();
    NodePtr operand = Operand();
    if (failed_) {
      return cmd;
    }
    if (operand) {
      cmd->nodes.push_back(std::move(operand));
    }
    const Item& token = Next();
    if (token.type == ItemType::kSpace) {
      continue;
    }
    if (token.type == ItemType::kRightDelim || token.type == ItemType::kRightParen) {
      Backup();
    } else if (token.type != ItemType::kPipe) {
      Unexpected(token, "operand");
    }
    break;
  }
  if (!failed_ && cmd->nodes.empty()) {
    Errorf("empty command");
  }
  return cmd;
}

Parser::NodePtr Parser::Operand() {
  NodePtr node = Term();
  if (!node || failed_) {
    return node;
  }
  if (Peek().type != ItemType::kField) {
    return node;
  }
  NodePtr chain = MakeNode(NodeType::kChain, Peek().pos);
  while (Peek().type == ItemType::kField) {
    chain->idents.push_back(Next().val.substr(1));
  }
  switch (node->type) {
    case NodeType::kField:
    case NodeType::kVariable: {
      NodePtr merged = MakeNode(node->type, chain->pos);
      merged->idents = node->idents;
      merged->idents.insert(merged->idents.end(), chain->idents.begin(), chain->idents.end());
      return merged;
    }
    case NodeType::kBool:
    case NodeType::kString:
    case NodeType::kNumber:
    case NodeType::kNil:
    case NodeType::kDot:
      Errorf("unexpected . after term " + QuoteString(NodeString(*node)));
      return node;
    default:
      chain->pipe = std::move(node);
      return chain;
  }
}

Parser::NodePtr Parser::Term() {
  const Item& token = NextNonSpace();
  switch (token.type) {
    case ItemType::kIdentifier: {
      if (!has_function_(token.val)) {
        Errorf("function " + QuoteString(token.val) + " not defined");
      }
      NodePtr n = MakeNode(NodeType::kIdentifier, token.pos, token.line);
      n->text = token.val;
      return n;
    }
    case ItemType::kDot:
      return MakeNode(NodeType::kDot, token.pos, token.line);
    case ItemType::kNil:
      return MakeNode(NodeType::kNil, token.pos, token.line);
    case ItemType::kVariable:
      return UseVar(token.pos, token.val);
    case ItemType::kField: {
      NodePtr n = MakeNode(NodeType::kField, token.pos, token.line);
      n->idents = Split(token.val.substr(1), ".");
      return n;
    }
    case ItemType::kBool: {
      NodePtr n = MakeNode(NodeType::kBool, token.pos, token.line);
      n->bool_value = token.val == "true";
      return n;
    }
    case ItemType::kCharConstant:
    case ItemType::kComplex:
    case ItemType::kNumber:
      return NewNumber(token);
    case ItemType::kLeftParen:
      return Pipeline("parenthesized pipeline", ItemType::kRightParen);
    case ItemType::kString:
    case ItemType::kRawString: {
      std::optional<std::string> value = Unquote(token.val);
      if (!value) {
        Errorf("invalid syntax");
      }
      NodePtr n = MakeNode(NodeType::kString, token.pos, token.line);
      n->quoted = token.val;
      n->text = value.value_or("");
      return n;
    }
    default:
      Backup();
      return nullptr;
  }
}

Parser::NodePtr Parser::NewNumber(const Item& item) {
  NodePtr n = MakeNode(NodeType::kNumber, item.pos, item.line);
  n->text = item.val;
  const std::string& text = item.val;
  if (item.type == ItemType::kCharConstant) {
    std::string decoded;
    int32_t rune = 0;
    size_t i = 1;
    if (!UnquoteChar(text, &i, '\'', &decoded, &rune)) {
      Errorf("invalid syntax");
      return n;
    }
    if (text.substr(i) != "'") {
      Errorf("malformed character constant: " + text);
      return n;
    }
    n->is_char = n->is_int = n->is_uint = n->is_float = true;
    n->int_value = rune;
    n->float_value = rune;
    return n;
  }
  if (item.type == ItemType::kComplex || (!text.empty() && text.back() == 'i')) {
    n->is_complex = true;
    return n;
  }
  bool negative = false;
  uint64_t u = 0;
  if (ParseGoUint(text, &negative, &u)) {
    if (!negative) {
      n->is_uint = true;
    }
    if (negative ? u <= (uint64_t{1} << 63) : u < (uint64_t{1} << 63)) {
      n->is_int = true;
      n->int_value = negative ? static_cast<int64_t>(~u + 1) : static_cast<int64_t>(u);
      if (negative && u == 0) {
        n->is_uint = true;
      }
    }
  }
  if (n->is_int) {
    n->is_float = true;
    n->float_value = static_cast<double>(n->int_value);
  } else if (n->is_uint) {
    n->is_float = true;
    n->float_value = static_cast<double>(u);
  } else {
    double f = 0;
    if (ParseGoFloat(text, &f)) {
      if (text.find_first_of(".eEpP") == std::string::npos) {
        Errorf("integer overflow: " + QuoteString(text));
        return n;
      }
      n->is_float = true;
      n->float_value = f;
      if (std::fabs(f) < 9.2e18 && static_cast<double>(static_cast<int64_t>(f)) == f) {
        n->is_int = true;
        n->int_value = static_cast<int64_t>(f);
      }
    }
  }
  if (!n->is_int && !n->is_uint && !n->is_float) {
    Errorf("illegal number syntax: " + QuoteString(text));
  }
  return n;
}

Parser::NodePtr Parser::UseVar(size_t pos, const std::string& name) {
  NodePtr v = MakeNode(NodeType::kVariable, pos);
  v->idents = Split(name, ".");
  for (const std::string& var : vars_) {
    if (var == v->idents[0]) {
      return v;
    }
  }
  Errorf("undefined variable " + QuoteString(v->idents[0]));
  return v;
}

Parser::NodePtr Parser::ParseControl(NodeType type, const std::string& context) {
  size_t saved_vars = vars_.size();
  NodePtr node = MakeNode(type, 0);
  node->pipe = Pipeline(context, ItemType::kRightDelim);
  node->pos = node->pipe->pos;
  node->line = node->pipe->line;
  if (failed_) {
    return node;
  }
  if (++depth_ > kMaxParseDepth) {
    Errorf("max nesting depth exceeded");
    return node;
  }
  if (type == NodeType::kRange) {
    ++range_depth_;
  }
  NodePtr next;
  node->list = ItemList(&next);
  if (type == NodeType::kRange) {
    --range_depth_;
  }
  if (!failed_ && next->type == NodeType::kElse) {
    // "{{else if}}" and "{{else with}}" chain: parse the inner control, whose {{end}} closes both.
    if (type == NodeType::kIf && Peek().type == ItemType::kIf) {
      Next();
      node->else_list = MakeNode(NodeType::kList, next->pos);
      node->else_list->nodes.push_back(ParseControl(NodeType::kIf, "if"));
    } else if (type == NodeType::kWith && Peek().type == ItemType::kWith) {
      Next();
      node->else_list = MakeNode(NodeType::kList, next->pos);
      node->else_list->nodes.push_back(ParseControl(NodeType::kWith, "with"));
    } else {
      NodePtr end;
      node->else_list = ItemList(&end);
      if (!failed_ && end->type != NodeType::kEnd) {
        Errorf("expected end; found " + NodeString(*end));
      }
    }
  }
  --depth_;
  vars_.resize(saved_vars);
  return node;
}

std::string Parser::ParseTemplateName(const Item& token, const std::string& context) {
  if (token.type == ItemType::kString || token.type == ItemType::kRawString) {
    std::optional<std::string> name = Unquote(token.val);
    if (!name) {
      Errorf("invalid syntax");
      return "";
    }
    return *name;
  }
  Unexpected(token, context);
  return "";
}

Parser::NodePtr Parser::TemplateControl() {
  const std::string context = "template clause";
  const Item& token = NextNonSpace();
  NodePtr node = MakeNode(NodeType::kTemplate, token.pos, token.line);
  node->text = ParseTemplateName(token, context);
  if (failed_) {
    return node;
  }
  if (NextNonSpace().type != ItemType::kRightDelim) {
    Backup();
    node->pipe = Pipeline(context, ItemType::kRightDelim);
  }
  return node;
}

Parser::NodePtr Parser::BlockControl() {
  const std::string context = "block clause";
  const Item& token = NextNonSpace();
  NodePtr node = MakeNode(NodeType::kTemplate, token.pos, token.line);
  node->text = ParseTemplateName(token, context);
  if (failed_) {
    return node;
  }
  node->pipe = Pipeline(context, ItemType::kRightDelim);
  if (failed_) {
    return node;
  }
  std::vector<std::string> saved_vars = std::move(vars_);
  vars_ = {"$"};
  int saved_range = range_depth_;
  range_depth_ = 0;
  NodePtr end;
  NodePtr list = ItemList(&end);
  vars_ = std::move(saved_vars);
  range_depth_ = saved_range;
  if (failed_) {
    return node;
  }
  if (end->type != NodeType::kEnd) {
    Errorf("unexpected " + NodeString(*end) + " in " + context);
    return node;
  }
  AddTree(node->text, std::move(list));
  return node;
}

}  // namespace

std::optional<std::string> Unquote(std::string_view literal) {
  if (literal.size() < 2 || literal.front() != literal.back()) {
    return std::nullopt;
  }
  char quote = literal.front();
  std::string_view body = literal.substr(1, literal.size() - 2);
  std::string out;
  if (quote == '`') {
    if (body.find('`') != std::string_view::npos) {
      return std::nullopt;
    }
    for (char c : body) {
      if (c != '\r') {
        out.push_back(c);
      }
    }
    return out;
  }
  if (quote != '"' || body.find('\n') != std::string_view::npos) {
    return std::nullopt;
  }
  for (size_t i = 0; i < body.size();) {
    int32_t rune = 0;
    if (!UnquoteChar(body, &i, '"', &out, &rune)) {
      return std::nullopt;
    }
  }
  return out;
}

std::string NodeString(const Node& node) {
  std::string out;
  switch (node.type) {
    case NodeType::kText:
    case NodeType::kComment:
      return node.text;
    case NodeType::kAction:
      return "{{" + (node.pipe ? NodeString(*node.pipe) : "") + "}}";
    case NodeType::kBool:
      return node.bool_value ? "true" : "false";
    case NodeType::kChain: {
      if (node.pipe && node.pipe->type == NodeType::kPipe) {
        out = "(" + NodeString(*node.pipe) + ")";
      } else if (node.pipe) {
        out = NodeString(*node.pipe);
      }
      for (const std::string& field : node.idents) {
        out += "." + field;
      }
      return out;
    }
    case NodeType::kCommand:
      for (size_t i = 0; i < node.nodes.size(); ++i) {
        if (i > 0) {
          out += " ";
        }
        if (node.nodes[i]->type == NodeType::kPipe) {
          out += "(" + NodeString(*node.nodes[i]) + ")";
        } else {
          out += NodeString(*node.nodes[i]);
        }
      }
      return out;
    case NodeType::kDot:
      return ".";
    case NodeType::kField:
      for (const std::string& field : node.idents) {
        out += "." + field;
      }
      return out;
    case NodeType::kIdentifier:
      return node.text;
    case NodeType::kIf:
    case NodeType::kRange:
    case NodeType::kWith: {
      std::string name =
          node.type == NodeType::kIf ? "if" : (node.type == NodeType::kRange ? "range" : "with");
      out = "{{" + name + " " + NodeString(*node.pipe) + "}}" + NodeString(*node.list);
      if (node.else_list) {
        out += "{{else}}" + NodeString(*node.else_list);
      }
      return out + "{{end}}";
    }
    case NodeType::kList:
      for (const auto& child : node.nodes) {
        out += NodeString(*child);
      }
      return out;
    case NodeType::kNil:
      return "nil";
    case NodeType::kNumber:
      return node.text;
    case NodeType::kPipe:
      for (size_t i = 0; i < node.decls.size(); ++i) {
        if (i > 0) {
          out += ", ";
        }
        out += NodeString(*node.decls[i]);
      }
      if (!node.decls.empty()) {
        out += node.is_assign ? " = " : " := ";
      }
      for (size_t i = 0; i < node.nodes.size(); ++i) {
        if (i > 0) {
          out += " | ";
        }
        out += NodeString(*node.nodes[i]);
      }
      return out;
    case NodeType::kString:
      return node.quoted;
    case NodeType::kTemplate:
      out = "{{template " + QuoteString(node.text);
      if (node.pipe) {
        out += " " + NodeString(*node.pipe);
      }
      return out + "}}";
    case NodeType::kVariable:
      for (size_t i = 0; i < node.idents.size(); ++i) {
        if (i > 0) {
          out += ".";
        }
        out += node.idents[i];
      }
      return out;
    case NodeType::kBreak:
      return "{{break}}";
    case NodeType::kContinue:
      return "{{continue}}";
    case NodeType::kElse:
      return "{{else}}";
    case NodeType::kEnd:
      return "{{end}}";
  }
  return out;
}

Result<void> ParseInto(std::string_view name, std::string_view text,
                       const std::function<bool(std::string_view)>& has_function, TreeSet* trees) {
  return Parser(name, text, has_function, trees).Run();
}

}  // namespace imgauto::gotemplate
