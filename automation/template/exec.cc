#include "automation/template/exec.h"

#include <algorithm>

#include "automation/template/builtins.h"
#include "automation/template/format.h"

namespace imgauto::gotemplate {
namespace {

// Nested walks (control structures times template calls) allowed before failing, so that deep
// nesting cannot exhaust the native stack.
constexpr int kMaxNesting = 2000;

enum class Flow { kNormal, kBreak, kContinue, kError };

// Marker for "no final argument" in a pipeline (Go's missingVal).
struct Final {
  bool present = false;
  Value value;
};

class State {
 public:
  State(const Template::Shared& shared, const ExecOptions& options, std::string* out)
      : shared_(shared), options_(options), out_(out) {}

  Flow RunTree(const Tree& tree, const Value& dot) {
    tree_ = &tree;
    vars_.clear();
    vars_.emplace_back("$", dot);
    return Walk(dot, *tree.root);
  }
  const std::string& error() const { return error_; }

 private:
  bool failed() const { return !error_.empty(); }
  void At(const Node* node) { node_ = node; }
  void Errorf(const std::string& message);
  bool Step(uint64_t cost = 1) {
    steps_ += cost;
    if (steps_ > options_.max_steps) {
      Errorf("template execution exceeded " + std::to_string(options_.max_steps) + " steps");
      return false;
    }
    return true;
  }
  bool CheckSize(const Value& v) {
    if (v.is_string() && v.AsString().size() > options_.max_output_bytes) {
      Errorf("string value exceeds " + std::to_string(options_.max_output_bytes) + " bytes");
      return false;
    }
    int64_t n = v.kind() == Value::Kind::kString ? 0 : std::max<int64_t>(v.Length(), 0);
    return Step(static_cast<uint64_t>(n) + (v.is_string() ? v.AsString().size() / 64 : 0));
  }
  void Write(std::string_view text) {
    out_->append(text);
    if (out_->size() > options_.max_output_bytes) {
      Errorf("template output exceeds " + std::to_string(options_.max_output_bytes) + " bytes");
    }
  }

  Flow Walk(const Value& dot, const Node& node);
  Flow WalkIfOrWith(const Value& dot, const Node& node);
  Flow WalkRange(const Value& dot, const Node& node);
  Flow WalkTemplate(const Value& dot, const Node& node);
  void PrintValue(const Node& node, const Value& value);

  Value EvalPipeline(const Value& dot, const Node* pipe);
  Value EvalCommand(const Value& dot, const Node& cmd, const Final& final);
  Value EvalFieldChain(const Value& dot, const Value& receiver, const Node& node,
                       const std::vector<std::string>& idents, size_t first,
                       const std::vector<std::unique_ptr<Node>>* args, const Final& final);
  Value EvalField(const std::string& name, const Value& receiver, bool has_args);
  Value EvalFunction(const Value& dot, const Node& ident, const Node& cmd,
                     const std::vector<std::unique_ptr<Node>>* args, const Final& final);
  Value EvalCall(const Value& dot, const Function& fn, const std::string& name, const Node& cmd,
                 const std::vector<std::unique_ptr<Node>>* args, const Final& final);
  Value EvalArg(const Value& dot, ParamType type, const Node& node);
  Value EvalAny(const Value& dot, const Node& node);
  Value Validate(const Value& value, ParamType type);
  Value IdealConstant(const Node& number);
  Value VarValue(const std::string& name);
  void SetVar(const std::string& name, const Value& value);
  void NotAFunction(const std::vector<std::unique_ptr<Node>>* args, const Final& final);

  const Template::Shared& shared_;
  const ExecOptions& options_;
  std::string* out_;
  const Tree* tree_ = nullptr;
  const Node* node_ = nullptr;
  std::vector<std::pair<std::string, Value>> vars_;
  std::string error_;
  uint64_t steps_ = 0;
  int template_depth_ = 0;
  int nesting_ = 0;
};

void State::Errorf(const std::string& message) {
  if (failed()) {
    return;
  }
  std::string name = QuoteString(tree_->name);
  if (node_ == nullptr) {
    error_ = "template: " + tree_->name + ": " + message;
    return;
  }
  std::string_view text = shared_.text;
  size_t pos = std::min(node_->pos, text.size());
  std::string_view before = text.substr(0, pos);
  size_t last_newline = before.rfind('\n');
  size_t column = last_newline == std::string_view::npos ? pos : pos - (last_newline + 1);
  size_t line = 1 + static_cast<size_t>(std::count(before.begin(), before.end(), '\n'));
  std::string context = NodeString(*node_);
  if (context.size() > 20) {
    context = context.substr(0, 20) + "...";
  }
  error_ = "template: " + tree_->parse_name + ":" + std::to_string(line) + ":" +
           std::to_string(column) + ": executing " + name + " at <" + context + ">: " + message;
}

Flow State::Walk(const Value& dot, const Node& node) {
  if (failed() || !Step()) {
    return Flow::kError;
  }
  if (++nesting_ > kMaxNesting) {
    At(&node);
    Errorf("exceeded maximum nesting depth (" + std::to_string(kMaxNesting) + ")");
    return Flow::kError;
  }
  Flow flow = Flow::kNormal;
  switch (node.type) {
    case NodeType::kAction: {
      Value value = EvalPipeline(dot, node.pipe.get());
      if (!failed() && node.pipe->decls.empty()) {
        PrintValue(node, value);
      }
      break;
    }
    case NodeType::kBreak:
      flow = Flow::kBreak;
      break;
    case NodeType::kContinue:
      flow = Flow::kContinue;
      break;
    case NodeType::kComment:
      break;
    case NodeType::kIf:
    case NodeType::kWith:
      flow = WalkIfOrWith(dot, node);
      break;
    case NodeType::kList:
      for (const auto& child : node.nodes) {
        flow = Walk(dot, *child);
        if (flow != Flow::kNormal) {
          break;
        }
      }
      break;
    case NodeType::kRange:
      flow = WalkRange(dot, node);
      break;
    case NodeType::kTemplate:
      flow = WalkTemplate(dot, node);
      break;
    case NodeType::kText:
      Write(node.text);
      break;
    default:
      At(&node);
      Errorf("unknown node: " + NodeString(node));
      break;
  }
  --nesting_;
  return failed() ? Flow::kError : flow;
}

Flow State::WalkIfOrWith(const Value& dot, const Node& node) {
  size_t mark = vars_.size();
  Value value = EvalPipeline(dot, node.pipe.get());
  if (failed()) {
    return Flow::kError;
  }
  Flow flow = Flow::kNormal;
  if (value.Truth()) {
    flow = Walk(node.type == NodeType::kWith ? value : dot, *node.list);
  } else if (node.else_list) {
    flow = Walk(dot, *node.else_list);
  }
  vars_.resize(mark);
  return flow;
}

Flow State::WalkRange(const Value& dot, const Node& node) {
  At(&node);
  size_t outer_mark = vars_.size();
  Value value = EvalPipeline(dot, node.pipe.get());
  if (failed()) {
    return Flow::kError;
  }
  size_t mark = vars_.size();
  const Node& pipe = *node.pipe;
  auto one_iteration = [&](const Value& index, const Value& elem) {
    if (!pipe.decls.empty()) {
      if (pipe.is_assign) {
        SetVar(pipe.decls[0]->idents[0], pipe.decls.size() > 1 ? index : elem);
      } else {
        vars_[mark - 1].second = elem;
      }
    }
    if (pipe.decls.size() > 1) {
      if (pipe.is_assign) {
        SetVar(pipe.decls[1]->idents[0], elem);
      } else {
        vars_[mark - 2].second = index;
      }
    }
    Flow flow = Walk(elem, *node.list);
    vars_.resize(mark);
    return flow;
  };
  bool iterated = false;
  Flow result = Flow::kNormal;
  switch (value.kind()) {
    case Value::Kind::kList: {
      List items = value.AsList();  // the body may not invalidate our iteration
      for (size_t i = 0; i < items.size(); ++i) {
        iterated = true;
        Flow flow = one_iteration(Value(static_cast<int64_t>(i)), items[i]);
        if (flow == Flow::kError || flow == Flow::kBreak) {
          result = flow == Flow::kError ? flow : Flow::kNormal;
          break;
        }
      }
      break;
    }
    case Value::Kind::kMap: {
      std::vector<std::pair<Value, Value>> entries = value.AsMap().entries();
      for (const auto& [key, elem] : entries) {
        iterated = true;
        Flow flow = one_iteration(key, elem);
        if (flow == Flow::kError || flow == Flow::kBreak) {
          result = flow == Flow::kError ? flow : Flow::kNormal;
          break;
        }
      }
      break;
    }
    case Value::Kind::kInt: {
      if (pipe.decls.size() > 1) {
        Errorf("can't use " + FormatValue(value) + " to iterate over more than one variable");
        return Flow::kError;
      }
      for (int64_t i = 0; i < value.AsInt(); ++i) {
        iterated = true;
        Flow flow = one_iteration(Value(i), Value(i));
        if (flow == Flow::kError || flow == Flow::kBreak) {
          result = flow == Flow::kError ? flow : Flow::kNormal;
          break;
        }
      }
      break;
    }
    case Value::Kind::kNil:
      break;
    default:
      Errorf("range can't iterate over " + FormatValue(value));
      return Flow::kError;
  }
  if (result == Flow::kError || failed()) {
    return Flow::kError;
  }
  if (!iterated && node.else_list) {
    result = Walk(dot, *node.else_list);
  }
  vars_.resize(outer_mark);
  return result == Flow::kError ? result : Flow::kNormal;
}

Flow State::WalkTemplate(const Value& dot, const Node& node) {
  At(&node);
  auto it = shared_.trees.find(node.text);
  if (it == shared_.trees.end()) {
    Errorf("template " + QuoteString(node.text) + " not defined");
    return Flow::kError;
  }
  if (template_depth_ >= options_.max_template_depth) {
    Errorf("exceeded maximum template depth (" + std::to_string(options_.max_template_depth) + ")");
    return Flow::kError;
  }
  Value new_dot = EvalPipeline(dot, node.pipe.get());
  if (failed()) {
    return Flow::kError;
  }
  const Tree* saved_tree = tree_;
  std::vector<std::pair<std::string, Value>> saved_vars = std::move(vars_);
  vars_.clear();
  vars_.emplace_back("$", new_dot);
  tree_ = it->second.get();
  ++template_depth_;
  Flow flow = Walk(new_dot, *tree_->root);
  --template_depth_;
  if (failed()) {
    return Flow::kError;
  }
  tree_ = saved_tree;
  vars_ = std::move(saved_vars);
  return flow == Flow::kError ? flow : Flow::kNormal;
}

void State::PrintValue(const Node& node, const Value& value) {
  At(&node);
  if (value.is_nil()) {
    Write("<no value>");
    return;
  }
  if (value.kind() == Value::Kind::kFunction) {
    Errorf("can't print " + NodeString(node) + " of type " + value.TypeName());
    return;
  }
  Write(FormatValue(value));
}

Value State::EvalPipeline(const Value& dot, const Node* pipe) {
  if (pipe == nullptr) {
    return Value();
  }
  At(pipe);
  Final final;
  for (const auto& cmd : pipe->nodes) {
    Value value = EvalCommand(dot, *cmd, final);
    if (failed()) {
      return Value();
    }
    final.present = true;
    final.value = std::move(value);
  }
  for (const auto& var : pipe->decls) {
    if (pipe->is_assign) {
      SetVar(var->idents[0], final.value);
    } else {
      vars_.emplace_back(var->idents[0], final.value);
    }
  }
  return final.value;
}

void State::NotAFunction(const std::vector<std::unique_ptr<Node>>* args, const Final& final) {
  if ((args != nullptr && args->size() > 1) || final.present) {
    Errorf("can't give argument to non-function " + NodeString(*(*args)[0]));
  }
}

Value State::EvalCommand(const Value& dot, const Node& cmd, const Final& final) {
  if (!Step()) {
    return Value();
  }
  const Node& first = *cmd.nodes[0];
  switch (first.type) {
    case NodeType::kField:
      At(&first);
      return EvalFieldChain(dot, dot, first, first.idents, 0, &cmd.nodes, final);
    case NodeType::kChain: {
      At(&first);
      if (first.pipe->type == NodeType::kNil) {
        Errorf("indirection through explicit nil in " + NodeString(first));
        return Value();
      }
      Value receiver = EvalArg(dot, ParamType::kAny, *first.pipe);
      if (failed()) {
        return Value();
      }
      return EvalFieldChain(dot, receiver, first, first.idents, 0, &cmd.nodes, final);
    }
    case NodeType::kIdentifier:
      return EvalFunction(dot, first, cmd, &cmd.nodes, final);
    case NodeType::kPipe:
      NotAFunction(&cmd.nodes, final);
      if (failed()) {
        return Value();
      }
      return EvalPipeline(dot, &first);
    case NodeType::kVariable: {
      At(&first);
      Value value = VarValue(first.idents[0]);
      if (first.idents.size() == 1) {
        NotAFunction(&cmd.nodes, final);
        return value;
      }
      return EvalFieldChain(dot, value, first, first.idents, 1, &cmd.nodes, final);
    }
    default:
      break;
  }
  At(&first);
  NotAFunction(&cmd.nodes, final);
  if (failed()) {
    return Value();
  }
  switch (first.type) {
    case NodeType::kBool:
      return Value(first.bool_value);
    case NodeType::kDot:
      return dot;
    case NodeType::kNil:
      Errorf("nil is not a command");
      return Value();
    case NodeType::kNumber:
      return IdealConstant(first);
    case NodeType::kString:
      return Value(first.text);
    default:
      Errorf("can't evaluate command " + QuoteString(NodeString(first)));
      return Value();
  }
}

Value State::EvalFieldChain(const Value& dot, const Value& receiver, const Node& node,
                            const std::vector<std::string>& idents, size_t first,
                            const std::vector<std::unique_ptr<Node>>* args, const Final& final) {
  (void)dot;
  (void)node;
  Value current = receiver;
  for (size_t i = first; i < idents.size(); ++i) {
    bool last = i + 1 == idents.size();
    bool has_args = last && ((args != nullptr && args->size() > 1) || final.present);
    current = EvalField(idents[i], current, has_args);
    if (failed()) {
      return Value();
    }
  }
  return current;
}

Value State::EvalField(const std::string& name, const Value& receiver, bool has_args) {
  switch (receiver.kind()) {
    case Value::Kind::kNil:
      return Value();
    case Value::Kind::kObject: {
      const Value* field = receiver.AsObject().FindField(name);
      if (field != nullptr) {
        if (has_args) {
          Errorf(name + " has arguments but cannot be invoked as function");
          return Value();
        }
        return *field;
      }
      break;
    }
    case Value::Kind::kMap: {
      const Map& map = receiver.AsMap();
      if (!map.string_keys()) {
        break;
      }
      if (has_args) {
        Errorf(name + " is not a method but has arguments");
        return Value();
      }
      const Value* found = map.Find(Value(name));
      return found != nullptr ? *found : Value();
    }
    default:
      break;
  }
  Errorf("can't evaluate field " + name + " in type " + receiver.TypeName());
  return Value();
}

Value State::EvalFunction(const Value& dot, const Node& ident, const Node& cmd,
                          const std::vector<std::unique_ptr<Node>>* args, const Final& final) {
  At(&ident);
  const std::string& name = ident.text;
  auto it = shared_.funcs.find(name);
  if (it == shared_.funcs.end()) {
    Errorf(QuoteString(name) + " is not a defined function");
    return Value();
  }
  return EvalCall(dot, it->second, name, cmd, args, final);
}

Value State::EvalCall(const Value& dot, const Function& fn, const std::string& name,
                      const Node& cmd, const std::vector<std::unique_ptr<Node>>* args,
                      const Final& final) {
  // args[0] is the function's own node.
  size_t nargs = args == nullptr || args->empty() ? 0 : args->size() - 1;
  size_t num_in = nargs + (final.present ? 1 : 0);
  size_t num_fixed = fn.params.size();
  if (fn.variadic) {
    if (num_in < num_fixed) {
      Errorf("wrong number of args for " + name + ": want at least " + std::to_string(num_fixed) +
             " got " + std::to_string(nargs));
      return Value();
    }
  } else if (num_in != num_fixed) {
    Errorf("wrong number of args for " + name + ": want " + std::to_string(num_fixed) + " got " +
           std::to_string(num_in));
    return Value();
  }
  if (fn.short_circuit) {
    // Short-circuit: evaluate operands in order, returning the first deciding one.
    bool is_or = name == "or";
    Value v;
    for (size_t i = 1; i <= nargs; ++i) {
      v = EvalArg(dot, ParamType::kAny, *(*args)[i]);
      if (failed()) {
        return Value();
      }
      if (v.Truth() == is_or) {
        return v;
      }
    }
    if (final.present) {
      v = final.value;
    }
    return v;
  }
  std::vector<Value> argv;
  argv.reserve(num_in);
  for (size_t i = 0; i < nargs; ++i) {
    ParamType type = i < num_fixed ? fn.params[i] : *fn.variadic;
    argv.push_back(EvalArg(dot, type, *(*args)[i + 1]));
    if (failed()) {
      return Value();
    }
  }
  if (final.present) {
    ParamType type = num_in - 1 < num_fixed ? fn.params[num_in - 1] : *fn.variadic;
    argv.push_back(Validate(final.value, type));
    if (failed()) {
      return Value();
    }
  }
  Result<Value> result = fn.call(argv);
  if (!result) {
    At(&cmd);
    Errorf("error calling " + name + ": " + result.error().message());
    return Value();
  }
  if (!CheckSize(*result)) {
    return Value();
  }
  return std::move(result).value();
}

Value State::Validate(const Value& value, ParamType type) {
  if (value.is_nil()) {
    if (type == ParamType::kAny || type == ParamType::kList || type == ParamType::kMap) {
      return value;
    }
    Errorf("invalid value; expected " + std::string(ParamTypeName(type)));
    return Value();
  }
  bool ok = true;
  switch (type) {
    case ParamType::kAny:
      break;
    case ParamType::kString:
      ok = value.is_string();
      break;
    case ParamType::kInt:
      ok = value.kind() == Value::Kind::kInt;
      break;
    case ParamType::kFloat:
      ok = value.kind() == Value::Kind::kFloat;
      break;
    case ParamType::kBool:
      ok = value.kind() == Value::Kind::kBool;
      break;
    case ParamType::kList:
      ok = value.kind() == Value::Kind::kList;
      break;
    case ParamType::kMap:
      ok = value.kind() == Value::Kind::kMap && value.AsMap().string_keys();
      break;
  }
  if (!ok) {
    Errorf("wrong type for value; expected " + std::string(ParamTypeName(type)) + "; got " +
           value.TypeName());
    return Value();
  }
  return value;
}

Value State::EvalArg(const Value& dot, ParamType type, const Node& node) {
  At(&node);
  switch (node.type) {
    case NodeType::kDot:
      return Validate(dot, type);
    case NodeType::kNil:
      if (type == ParamType::kAny || type == ParamType::kList || type == ParamType::kMap) {
        return Value();
      }
      Errorf("cannot assign nil to " + std::string(ParamTypeName(type)));
      return Value();
    case NodeType::kField:
    case NodeType::kChain:
    case NodeType::kVariable:
    case NodeType::kPipe:
    case NodeType::kIdentifier:
      return Validate(EvalAny(dot, node), type);
    default:
      break;
  }
  switch (type) {
    case ParamType::kAny:
      return EvalAny(dot, node);
    case ParamType::kBool:
      if (node.type == NodeType::kBool) {
        return Value(node.bool_value);
      }
      Errorf("expected bool; found " + NodeString(node));
      return Value();
    case ParamType::kString:
      if (node.type == NodeType::kString) {
        return Value(node.text);
      }
      Errorf("expected string; found " + NodeString(node));
      return Value();
    case ParamType::kInt:
      if (node.type == NodeType::kNumber && node.is_int) {
        return Value(node.int_value);
      }
      Errorf("expected integer; found " + NodeString(node));
      return Value();
    case ParamType::kFloat:
      if (node.type == NodeType::kNumber && node.is_float) {
        return Value(node.float_value);
      }
      Errorf("expected float; found " + NodeString(node));
      return Value();
    default:
      Errorf("can't handle " + NodeString(node) + " for arg of type " +
             std::string(ParamTypeName(type)));
      return Value();
  }
}

Value State::EvalAny(const Value& dot, const Node& node) {
  At(&node);
  switch (node.type) {
    case NodeType::kBool:
      return Value(node.bool_value);
    case NodeType::kDot:
      return dot;
    case NodeType::kField:
      return EvalFieldChain(dot, dot, node, node.idents, 0, nullptr, Final{});
    case NodeType::kChain: {
      if (node.pipe->type == NodeType::kNil) {
        Errorf("indirection through explicit nil in " + NodeString(node));
        return Value();
      }
      Value receiver = EvalArg(dot, ParamType::kAny, *node.pipe);
      if (failed()) {
        return Value();
      }
      return EvalFieldChain(dot, receiver, node, node.idents, 0, nullptr, Final{});
    }
    case NodeType::kIdentifier:
      return EvalFunction(dot, node, node, nullptr, Final{});
    case NodeType::kNil:
      Errorf("evalEmptyInterface: nil (can't happen)");
      return Value();
    case NodeType::kNumber:
      return IdealConstant(node);
    case NodeType::kString:
      return Value(node.text);
    case NodeType::kVariable: {
      Value value = VarValue(node.idents[0]);
      if (node.idents.size() == 1 || failed()) {
        return value;
      }
      return EvalFieldChain(dot, value, node, node.idents, 1, nullptr, Final{});
    }
    case NodeType::kPipe:
      return EvalPipeline(dot, &node);
    default:
      Errorf("can't handle assignment of " + NodeString(node) + " to empty interface argument");
      return Value();
  }
}

Value State::IdealConstant(const Node& number) {
  At(&number);
  const std::string& text = number.text;
  bool hex_int = text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X') &&
                 text.find_first_of("pP") == std::string::npos;
  if (number.is_complex) {
    Errorf("complex constant " + text + " is not supported");
    return Value();
  }
  if (number.is_float && !hex_int && !number.is_char &&
      text.find_first_of(".eEpP") != std::string::npos) {
    return Value(number.float_value);
  }
  if (number.is_int) {
    return Value(number.int_value);
  }
  Errorf(text + " overflows int");
  return Value();
}

Value State::VarValue(const std::string& name) {
  for (size_t i = vars_.size(); i > 0; --i) {
    if (vars_[i - 1].first == name) {
      return vars_[i - 1].second;
    }
  }
  Errorf("undefined variable: " + name);
  return Value();
}

void State::SetVar(const std::string& name, const Value& value) {
  for (size_t i = vars_.size(); i > 0; --i) {
    if (vars_[i - 1].first == name) {
      vars_[i - 1].second = value;
      return;
    }
  }
  Errorf("undefined variable: " + name);
}

}  // namespace

Result<Template> Template::Parse(std::string_view name, std::string_view text,
                                 const FuncMap& funcs) {
  auto shared = std::make_shared<Shared>();
  shared->name = std::string(name);
  shared->text = std::string(text);
  shared->funcs = Builtins();
  for (const auto& [fname, fn] : funcs) {
    shared->funcs[fname] = fn;
  }
  const FuncMap& all = shared->funcs;
  std::function<bool(std::string_view)> has_function = [&all](std::string_view n) {
    return all.find(n) != all.end();
  };
  Result<void> parsed = ParseInto(name, shared->text, has_function, &shared->trees);
  if (!parsed) {
    return parsed.error();
  }
  return Template(std::move(shared));
}

Result<std::string> Template::Execute(const Value& data) const {
  return ExecuteTemplate(shared_->name, data, ExecOptions{});
}

Result<std::string> Template::Execute(const Value& data, const ExecOptions& options) const {
  return ExecuteTemplate(shared_->name, data, options);
}

Result<std::string> Template::ExecuteTemplate(std::string_view name, const Value& data,
                                              const ExecOptions& options) const {
  auto it = shared_->trees.find(name);
  if (it == shared_->trees.end()) {
    return Error(ErrorKind::kInvalidSpec, "template: no template " + QuoteString(name) +
                                              " associated with template " +
                                              QuoteString(shared_->name));
  }
  std::string out;
  State state(*shared_, options, &out);
  if (state.RunTree(*it->second, data) == Flow::kError) {
    return Error(ErrorKind::kInvalidSpec, state.error());
  }
  return out;
}

const std::string& Template::name() const { return shared_->name; }

std::vector<std::string> Template::TemplateNames() const {
  std::vector<std::string> names;
  for (const auto& [name, tree] : shared_->trees) {
    names.push_back(name);
  }
  return names;
}

}  // namespace imgauto::gotemplate
