import 'uplot/dist/uPlot.min.css';
import './base.css';
import './serving.css';
import './schedules.css';
import './studio.css';
import './data.css';
import './environments.css';
import './sweeps.css';
